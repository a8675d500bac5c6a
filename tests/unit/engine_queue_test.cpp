// The job queue and resource locks: jobs beyond MaxJobs wait `queued` (a
// panel submits twenty clones at once), a queued job can be cancelled
// without the driver ever being called, clones share their source, locks
// on host ports, addresses and driver resources (a Proxmox vmid) refuse a
// second claimant at once, and Serial locks make jobs wait their turn
// without holding back the jobs behind them.
#include <gtest/gtest.h>

#include "core/flags.h"
#include "engine_fixture.h"

namespace zenith::unittest {
namespace {

using core::ErrorCode;
using core::JobState;
using core::LockMode;
using core::MachineState;
using testsupport::FakeOp;

core::SpecMap withPort(uint16_t hostPort)
{
    return {{"ports", core::SpecValue{std::vector<core::PortForward>{{"tcp", hostPort, 80}}, "a(sqq)"}}};
}

core::SpecMap withAddress(const std::string& cidr)
{
    return {{"ipv4", core::SpecValue{cidr, "s"}}};
}

TEST_F(EngineTest, JobsBeyondMaxJobsWaitQueuedAndRunInOrder)
{
    restart(1, 2);
    driver->hold(FakeOp::Create);
    auto a = submitCreate("qa");
    auto b = submitCreate("qb");
    auto c = submitCreate("qc");
    ASSERT_TRUE(driver->waitReachedHold(FakeOp::Create, 1));

    EXPECT_EQ(engine->job(a.jobId)->state, JobState::Running);
    EXPECT_EQ(engine->job(b.jobId)->state, JobState::Queued);
    EXPECT_EQ(engine->job(c.jobId)->state, JobState::Queued);
    EXPECT_TRUE(engine->job(b.jobId)->cancelable);
    // A queued machine is listed (and its name taken) from submit.
    ASSERT_TRUE(engine->machine("qc"));
    EXPECT_EQ(engine->machine("qc")->state, MachineState::Creating);
    EXPECT_EQ(driver->calls(FakeOp::Create), 1);

    // The queue is full: the next one is refused and leaves nothing.
    auto req = engine->prepareCreate("qd", "nspawn", {}, 0);
    ASSERT_TRUE(req);
    auto d = engine->submit(*req, 1000);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().code, ErrorCode::LimitsExceeded);
    EXPECT_NE(d.error().message.find("1 running and 2 waiting"), std::string::npos) << d.error().message;
    EXPECT_FALSE(engine->machine("qd"));

    driver->release(FakeOp::Create);
    for (auto id : {a.jobId, b.jobId, c.jobId})
        EXPECT_EQ(observer.waitFinished(id).state, JobState::Done) << id;
    // Queued, then running, then done: the states a client sees in order.
    std::vector<JobState> seen;
    for (const auto& j : observer.changesOf(c.jobId))
        if (seen.empty() || seen.back() != j.state)
            seen.push_back(j.state);
    EXPECT_EQ(seen, (std::vector<JobState>{JobState::Queued, JobState::Running, JobState::Done}));
    EXPECT_EQ(driver->calls(FakeOp::Create), 3);
}

TEST_F(EngineTest, CancellingAQueuedJobEndsItAtOnceWithoutTheDriver)
{
    restart(1, 4);
    driver->hold(FakeOp::Create);
    auto a = submitCreate("run1");
    auto b = submitCreate("wait1");
    ASSERT_TRUE(driver->waitReachedHold(FakeOp::Create, 1));

    ASSERT_TRUE(engine->cancel(b.jobId));
    auto j = engine->job(b.jobId);
    ASSERT_TRUE(j);
    EXPECT_EQ(j->state, JobState::Cancelled);  // at once, not when a slot frees
    EXPECT_EQ(observer.waitFinished(b.jobId).state, JobState::Cancelled);
    EXPECT_FALSE(engine->machine("wait1"));
    auto cancelAgain = engine->cancel(b.jobId);
    ASSERT_FALSE(cancelAgain);
    EXPECT_EQ(cancelAgain.error().code, ErrorCode::NotCancelable);

    // Its name is free again and its place in the queue too.
    auto again = submitCreate("wait1");
    driver->release(FakeOp::Create);
    EXPECT_EQ(observer.waitFinished(a.jobId).state, JobState::Done);
    EXPECT_EQ(observer.waitFinished(again.jobId).state, JobState::Done);
    EXPECT_EQ(driver->calls(FakeOp::Create), 2);  // the cancelled one never reached the driver
}

TEST_F(EngineTest, QueuedStopShowsTheMachineUnchangedUntilItRuns)
{
    makeMachine("busyhost");
    restart(1, 4);
    driver->hold(FakeOp::Create);
    auto a = submitCreate("first");
    ASSERT_TRUE(driver->waitReachedHold(FakeOp::Create, 1));
    auto stop = submitSimple("stop", "busyhost");
    EXPECT_EQ(engine->job(stop.jobId)->state, JobState::Queued);
    EXPECT_EQ(engine->machine("busyhost")->state, MachineState::Running);
    // The queued job holds the machine all the same.
    auto start = engine->prepareSimple("start", "busyhost", 0);
    ASSERT_TRUE(start);
    auto r = engine->submit(*start, 1000);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::Busy);
    EXPECT_NE(r.error().message.find("machine 'busyhost' is busy"), std::string::npos) << r.error().message;

    driver->release(FakeOp::Create);
    EXPECT_EQ(observer.waitFinished(a.jobId).state, JobState::Done);
    EXPECT_EQ(observer.waitFinished(stop.jobId).state, JobState::Done);
    EXPECT_EQ(engine->machine("busyhost")->state, MachineState::Stopped);
}

TEST_F(EngineTest, ClonesShareTheirSourceWhichCannotChangeMeanwhile)
{
    makeMachine("golden", core::kFlagNoStart);
    driver->hold(FakeOp::Clone);
    std::vector<core::Submitted> clones;
    for (auto name : {"c1", "c2"}) {
        auto req = engine->prepareClone("golden", name, {}, core::kFlagNoStart);
        ASSERT_TRUE(req) << req.error().message;
        auto s = engine->submit(*req, 1000);
        ASSERT_TRUE(s) << s.error().message;
        clones.push_back(*s);
    }
    // Both run side by side: nothing serializes them on this backend.
    ASSERT_TRUE(driver->waitReachedHold(FakeOp::Clone, 2));

    for (auto op : {"destroy", "start", "template"}) {
        auto req = engine->prepareSimple(op, "golden", core::kFlagForce);
        ASSERT_TRUE(req);
        auto r = engine->submit(*req, 1000);
        ASSERT_FALSE(r) << op;
        EXPECT_EQ(r.error().code, ErrorCode::Busy) << op;
    }
    driver->release(FakeOp::Clone);
    for (const auto& c : clones)
        EXPECT_EQ(observer.waitFinished(c.jobId).state, JobState::Done);
    EXPECT_EQ(observer.waitFinished(submitSimple("destroy", "golden").jobId).state, JobState::Done);
}

TEST_F(EngineTest, SerialLocksQueueClonesOfOneSourceButNotOtherJobs)
{
    // As the Proxmox LXC driver does: the server locks a template while it
    // is being cloned, so its clones run one at a time.
    driver->extraLocks = [](const core::Request& r) {
        std::vector<core::ResourceLock> l;
        if (!r.source.empty())
            l.push_back({"clone-source:" + r.source, LockMode::Serial, "clone source " + r.source});
        return l;
    };
    makeMachine("tmpl", core::kFlagNoStart);
    driver->hold(FakeOp::Clone);
    driver->hold(FakeOp::Create);
    std::vector<uint32_t> clones;
    for (auto name : {"s1", "s2", "s3"}) {
        auto req = engine->prepareClone("tmpl", name, {}, core::kFlagNoStart);
        ASSERT_TRUE(req) << req.error().message;
        auto s = engine->submit(*req, 1000);
        ASSERT_TRUE(s) << s.error().message;
        clones.push_back(s->jobId);
    }
    // A job behind the waiting clones starts anyway (slots are free).
    auto other = submitCreate("other");
    ASSERT_TRUE(driver->waitReachedHold(FakeOp::Create, 1));
    ASSERT_TRUE(driver->waitReachedHold(FakeOp::Clone, 1));
    EXPECT_EQ(engine->job(clones[0])->state, JobState::Running);
    EXPECT_EQ(engine->job(clones[1])->state, JobState::Queued);
    EXPECT_EQ(engine->job(clones[2])->state, JobState::Queued);

    driver->release(FakeOp::Create);
    driver->release(FakeOp::Clone);
    for (auto id : clones)
        EXPECT_EQ(observer.waitFinished(id).state, JobState::Done);
    EXPECT_EQ(observer.waitFinished(other.jobId).state, JobState::Done);
    EXPECT_EQ(driver->calls(FakeOp::Clone), 3);
}

TEST_F(EngineTest, AClaimedHostPortAddressOrDriverResourceIsBusyForASecondJob)
{
    // A driver resource: here the `cores` value stands for a Proxmox vmid.
    driver->extraLocks = [](const core::Request& r) {
        std::vector<core::ResourceLock> l;
        if (r.spec.cores)
            l.push_back({"vmid:pve/" + std::to_string(*r.spec.cores), LockMode::Exclusive,
                         "vmid " + std::to_string(*r.spec.cores)});
        return l;
    };
    driver->hold(FakeOp::Create);
    auto first = engine->prepareCreate("p1", "nspawn", withPort(8080), 0);
    ASSERT_TRUE(first) << first.error().message;
    auto s1 = engine->submit(*first, 1000);
    ASSERT_TRUE(s1);

    auto second = engine->prepareCreate("p2", "nspawn", withPort(8080), 0);
    ASSERT_TRUE(second);
    auto r2 = engine->submit(*second, 1000);
    ASSERT_FALSE(r2);
    EXPECT_EQ(r2.error().code, ErrorCode::Busy);
    EXPECT_NE(r2.error().message.find("host port 8080/tcp is claimed by another job (job " +
                                      std::to_string(s1->jobId) + ")"),
              std::string::npos)
        << r2.error().message;
    EXPECT_FALSE(engine->machine("p2"));

    auto a1 = engine->prepareCreate("a1", "nspawn", withAddress("10.1.10.91/24"), 0);
    ASSERT_TRUE(a1);
    auto sa1 = engine->submit(*a1, 1000);
    ASSERT_TRUE(sa1) << sa1.error().message;
    auto a2 = engine->prepareCreate("a2", "nspawn", withAddress("10.1.10.91/24"), 0);
    ASSERT_TRUE(a2);
    auto ra2 = engine->submit(*a2, 1000);
    ASSERT_FALSE(ra2);
    EXPECT_NE(ra2.error().message.find("address 10.1.10.91"), std::string::npos) << ra2.error().message;

    core::SpecMap vmid9101{{"cores", core::SpecValue{uint32_t{500}, "u"}}};
    auto v1 = engine->prepareCreate("v1", "nspawn", vmid9101, 0);
    ASSERT_TRUE(v1);
    auto sv1 = engine->submit(*v1, 1000);
    ASSERT_TRUE(sv1) << sv1.error().message;
    auto v2 = engine->prepareCreate("v2", "nspawn", vmid9101, 0);
    ASSERT_TRUE(v2);
    auto rv2 = engine->submit(*v2, 1000);
    ASSERT_FALSE(rv2);
    EXPECT_EQ(rv2.error().code, ErrorCode::Busy);
    EXPECT_NE(rv2.error().message.find("vmid 500 is claimed"), std::string::npos) << rv2.error().message;

    driver->release(FakeOp::Create);
    EXPECT_EQ(observer.waitFinished(s1->jobId).state, JobState::Done);
    EXPECT_EQ(observer.waitFinished(sa1->jobId).state, JobState::Done);
    EXPECT_EQ(observer.waitFinished(sv1->jobId).state, JobState::Done);
    // The lock goes with the job, but the port stays p1's (its forward)
    // until p1 is gone.
    auto third = engine->prepareCreate("p3", "nspawn", withPort(8080), 0);
    ASSERT_TRUE(third);
    auto held = engine->submit(*third, 1000);
    ASSERT_FALSE(held);
    EXPECT_EQ(held.error().code, ErrorCode::InvalidArgs);
    EXPECT_EQ(held.error().message, "ports: host port 8080/tcp is forwarded to another machine already");
    ASSERT_EQ(observer.waitFinished(submitSimple("destroy", "p1", core::kFlagForce).jobId).state, JobState::Done);
    auto s3 = engine->submit(*third, 1000);
    ASSERT_TRUE(s3) << s3.error().message;
    EXPECT_EQ(observer.waitFinished(s3->jobId).state, JobState::Done);
}

TEST_F(EngineTest, ShutdownCancelsQueuedJobsAndRemovesTheirMachinesToBe)
{
    restart(1, 4);
    driver->hold(FakeOp::Create);
    auto a = submitCreate("sd1");
    auto b = submitCreate("sd2");
    ASSERT_TRUE(driver->waitReachedHold(FakeOp::Create, 1));
    auto stuck = engine->shutdown(std::chrono::seconds(10));
    EXPECT_TRUE(stuck.empty());
    EXPECT_EQ(observer.waitFinished(a.jobId).state, JobState::Cancelled);
    EXPECT_EQ(observer.waitFinished(b.jobId).state, JobState::Cancelled);
    EXPECT_FALSE(engine->machine("sd2"));
    EXPECT_EQ(driver->calls(FakeOp::Create), 1);
    auto req = engine->prepareCreate("sd3", "nspawn", {}, 0);
    ASSERT_TRUE(req);
    auto late = engine->submit(*req, 1000);
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error().code, ErrorCode::BackendUnavailable);
}

}  // namespace
}  // namespace zenith::unittest
