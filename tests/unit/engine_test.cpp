// The engine with the shared FakeDriver and a real SQLite registry: job
// lifecycle, monotonic progress, cancel (and the point where it no longer
// can), rollback, Busy, LimitsExceeded and DRY_RUN. Restarts:
// engine_restart_test.cpp.
#include <gtest/gtest.h>

#include "core/flags.h"
#include "engine_fixture.h"

namespace zenith::unittest {
namespace {

using core::ErrorCode;
using core::JobState;
using core::MachineState;
using testsupport::FakeOp;

TEST_F(EngineTest, CreateRunsToDoneWithMonotonicProgressAndPersists)
{
    driver->createProgress = {{0.5, "base-image", "half"},
                              {0.3, "clone", "a driver that goes backwards"}};  // must not lower Progress
    auto s = submitCreate("web1");
    auto j = observer.waitFinished(s.jobId);
    EXPECT_EQ(j.state, JobState::Done);
    EXPECT_DOUBLE_EQ(j.progress, 1.0);
    EXPECT_EQ(j.startedByUid, 1000u);
    EXPECT_EQ(observer.finishedCount(s.jobId), 1);

    auto p = observer.progressOf(s.jobId);
    ASSERT_GE(p.size(), 3u);
    for (size_t i = 1; i < p.size(); ++i)
        EXPECT_GE(p[i], p[i - 1]) << "progress went down at change " << i;

    auto m = engine->machine("web1");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->state, MachineState::Running);
    EXPECT_EQ(m->createdByUid, 1000u);
    auto stored = registry->machines();
    ASSERT_TRUE(stored);
    ASSERT_EQ(stored->size(), 1u);
    EXPECT_EQ(stored->front().state, MachineState::Running);
    auto audit = registry->auditEntries();
    ASSERT_TRUE(audit);
    ASSERT_EQ(audit->size(), 2u);
    EXPECT_EQ(audit->front().outcome, "submitted");
    EXPECT_EQ(audit->back().outcome, "done");
}

TEST_F(EngineTest, FinishedJobKeepsNoCredentials)
{
    auto req = engine->prepareCreate("web1", "nspawn", {{"password", core::SpecValue{std::string("pw-Secret-1"), "s"}}}, 0);
    ASSERT_TRUE(req.has_value()) << req.error().message;
    auto s = engine->submit(*req, 1000);
    ASSERT_TRUE(s.has_value()) << s.error().message;
    EXPECT_EQ(observer.waitFinished(s->jobId).state, JobState::Done);
    ASSERT_NE(driver->lastSpec(), nullptr);
    EXPECT_TRUE(driver->lastSpecHadPassword());  // the driver had it while it worked
    // The finished job stays listed; the password it carried does not.
    ASSERT_EQ(engine->jobs().size(), 1u);
    EXPECT_FALSE(driver->lastSpec()->password.has_value());
}

TEST_F(EngineTest, NoStartLeavesMachineStopped)
{
    makeMachine("quiet", core::kFlagNoStart);
    EXPECT_EQ(engine->machine("quiet")->state, MachineState::Stopped);
    EXPECT_FALSE(driver->isRunning("quiet"));
}

TEST_F(EngineTest, DryRunCompletesAtOnceAndChangesNothing)
{
    auto s = submitCreate("plan-only", core::kFlagDryRun);
    auto j = engine->job(s.jobId);
    ASSERT_TRUE(j);
    EXPECT_EQ(j->state, JobState::Done);
    EXPECT_EQ(j->message, "would create plan-only from debian bookworm");
    EXPECT_FALSE(engine->machine("plan-only"));
    EXPECT_EQ(driver->calls(FakeOp::Create), 0);
    EXPECT_TRUE(registry->machines()->empty());
}

TEST_F(EngineTest, BadInputIsRejectedBeforeAnyJob)
{
    auto bad = engine->prepareCreate("Bad_Name", "nspawn", {}, 0);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::InvalidArgs);
    auto flags = engine->prepareCreate("ok", "nspawn", {}, 1u << 10);
    ASSERT_FALSE(flags);
    EXPECT_EQ(flags.error().code, ErrorCode::InvalidArgs);
    auto backend = engine->prepareCreate("ok", "xen", {}, 0);
    ASSERT_FALSE(backend);
    EXPECT_EQ(backend.error().code, ErrorCode::InvalidArgs);
    EXPECT_NE(backend.error().message.find("xen"), std::string::npos);
    auto pve = engine->prepareCreate("ok", "proxmox-lxc", {}, 0);
    ASSERT_FALSE(pve);
    EXPECT_EQ(pve.error().code, ErrorCode::BackendUnavailable);
    core::SpecMap spec{{"release", core::SpecValue{std::string("hamm"), "s"}}};
    auto rel = engine->prepareCreate("ok", "nspawn", spec, 0);
    ASSERT_FALSE(rel);
    EXPECT_EQ(rel.error().code, ErrorCode::InvalidArgs);
    core::SpecMap unknown{{"colour", core::SpecValue{std::string("red"), "s"}}};
    auto unk = engine->prepareCreate("ok", "nspawn", unknown, 0);
    ASSERT_FALSE(unk);
    EXPECT_NE(unk.error().message.find("colour"), std::string::npos);
    // A key of another backend is unknown to this one.
    core::SpecMap proxmoxOnly{{"node", core::SpecValue{std::string("pve1"), "s"}}};
    auto other = engine->prepareCreate("ok", "nspawn", proxmoxOnly, 0);
    ASSERT_FALSE(other);
    EXPECT_EQ(other.error().code, ErrorCode::InvalidArgs);
    EXPECT_NE(other.error().message.find("unknown spec key 'node' for backend 'nspawn'"), std::string::npos)
        << other.error().message;
    EXPECT_TRUE(engine->jobs().empty());
    EXPECT_TRUE(engine->machines().empty());
}

TEST_F(EngineTest, SecondJobOnABusyMachineIsRefused)
{
    driver->hold(FakeOp::Create);
    auto s = submitCreate("busy1");
    auto again = engine->prepareSimple("stop", "busy1", 0);
    ASSERT_TRUE(again);
    auto r = engine->submit(*again, 0);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::Busy);
    auto dup = engine->prepareCreate("busy1", "nspawn", {}, 0);
    ASSERT_TRUE(dup);
    auto r2 = engine->submit(*dup, 0);
    ASSERT_FALSE(r2);
    EXPECT_EQ(r2.error().code, ErrorCode::MachineExists);
    driver->release(FakeOp::Create);
    EXPECT_EQ(observer.waitFinished(s.jobId).state, JobState::Done);
}

TEST_F(EngineTest, JobsPastTheQueueAreLimitsExceeded)
{
    restart(1, 0);
    driver->hold(FakeOp::Create);
    auto s = submitCreate("first");
    auto req = engine->prepareCreate("second", "nspawn", {}, 0);
    ASSERT_TRUE(req);
    auto r = engine->submit(*req, 0);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::LimitsExceeded);
    EXPECT_NE(r.error().message.find("MaxQueuedJobs=0"), std::string::npos) << r.error().message;
    EXPECT_FALSE(engine->machine("second"));
    driver->release(FakeOp::Create);
    observer.waitFinished(s.jobId);
}

TEST_F(EngineTest, CancelledCreateLeavesNothing)
{
    driver->hold(FakeOp::Create);
    auto s = submitCreate("doomed");
    ASSERT_TRUE(driver->waitReachedHold(FakeOp::Create));
    ASSERT_TRUE(engine->cancel(s.jobId).has_value());
    auto j = observer.waitFinished(s.jobId);
    EXPECT_EQ(j.state, JobState::Cancelled);
    EXPECT_EQ(j.errorName, "Cancelled");
    EXPECT_FALSE(engine->machine("doomed"));
    EXPECT_TRUE(registry->machines()->empty());
    EXPECT_FALSE(driver->exists("doomed"));

    auto again = engine->cancel(s.jobId);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ErrorCode::NotCancelable);
    auto none = engine->cancel(9999);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, ErrorCode::NoSuchJob);
}

// The contract: Cancelable turns false when a job passes its point of no
// return (destroy has started deleting), and a cancel from then on is
// NotCancelable and changes nothing.
TEST_F(EngineTest, CancelAfterThePointOfNoReturnIsNotCancelable)
{
    makeMachine("old", core::kFlagNoStart);
    driver->hold(FakeOp::Destroy);  // parks after setCancelable(false)
    auto s = submitSimple("destroy", "old");
    ASSERT_TRUE(driver->waitReachedHold(FakeOp::Destroy));

    auto running = engine->job(s.jobId);
    ASSERT_TRUE(running);
    EXPECT_EQ(running->state, JobState::Running);
    EXPECT_FALSE(running->cancelable);
    auto refused = engine->cancel(s.jobId);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::NotCancelable);
    EXPECT_NE(refused.error().message.find("point"), std::string::npos) << refused.error().message;
    EXPECT_NE(engine->job(s.jobId)->message, "cancelling") << "a refused cancel changed the job";
    // Observers were told: a change with Cancelable false while it ran.
    bool announced = false;
    for (const auto& c : observer.changesOf(s.jobId))
        announced = announced || (c.state == JobState::Running && !c.cancelable);
    EXPECT_TRUE(announced);

    driver->release(FakeOp::Destroy);
    EXPECT_EQ(observer.waitFinished(s.jobId).state, JobState::Done);
    EXPECT_FALSE(engine->machine("old"));
    EXPECT_FALSE(driver->exists("old"));
}

TEST_F(EngineTest, FailedCreateIsRolledBackAndNamed)
{
    driver->failWith(FakeOp::Create, {ErrorCode::BackendFailed, "scripted failure"});
    auto s = submitCreate("broken");
    auto j = observer.waitFinished(s.jobId);
    EXPECT_EQ(j.state, JobState::Failed);
    EXPECT_EQ(j.errorName, "BackendFailed");
    EXPECT_EQ(j.errorMessage, "scripted failure");
    EXPECT_FALSE(engine->machine("broken"));
    EXPECT_FALSE(driver->exists("broken"));
}

TEST_F(EngineTest, FailedStartLeavesTheMachineAsItReallyIs)
{
    makeMachine("cold", core::kFlagNoStart);
    driver->failWith(FakeOp::Start, {ErrorCode::BackendFailed, "did not report ready"});
    auto s = submitSimple("start", "cold");
    EXPECT_EQ(observer.waitFinished(s.jobId).state, JobState::Failed);
    EXPECT_EQ(engine->machine("cold")->state, MachineState::Stopped);  // probed, not "starting"
}

TEST_F(EngineTest, DestroyRemovesTheMachineAndForceIsNeededWhenRunning)
{
    makeMachine("gone");

    const size_t jobsBefore = engine->jobs().size();
    auto plain = engine->submit(*engine->prepareSimple("destroy", "gone", 0), 0);
    ASSERT_FALSE(plain);
    EXPECT_EQ(plain.error().code, ErrorCode::Busy);
    EXPECT_NE(plain.error().message.find("FORCE"), std::string::npos);
    EXPECT_EQ(engine->jobs().size(), jobsBefore);  // no job was started
    EXPECT_EQ(engine->machine("gone")->state, MachineState::Running);

    auto forced = engine->submit(*engine->prepareSimple("destroy", "gone", core::kFlagForce), 0);
    ASSERT_TRUE(forced);
    EXPECT_EQ(observer.waitFinished(forced->jobId).state, JobState::Done);
    EXPECT_FALSE(engine->machine("gone"));
    EXPECT_TRUE(registry->machines()->empty());
}

TEST_F(EngineTest, AMachineThatStopsOnItsOwnIsStoppedInTheRegistry)
{
    makeMachine("short-lived");
    driver->exitOnItsOwn("short-lived");
    EXPECT_EQ(engine->machine("short-lived")->state, MachineState::Stopped);
    EXPECT_EQ(registry->machines()->front().state, MachineState::Stopped);
}

// Images come from the backend's catalog; a backend without one answers
// NotSupported (not an empty list, which would say "no images").
TEST_F(EngineTest, ImagesComeFromTheCatalogOrAreNotSupported)
{
    driver->imageList = {{"debian-bookworm-amd64", "base", "/var/lib/zenith/images/x.tar", 123}};
    auto images = engine->images("nspawn");
    ASSERT_TRUE(images) << images.error().message;
    ASSERT_EQ(images->size(), 1u);
    EXPECT_EQ(images->front().id, "debian-bookworm-amd64");

    driver->withoutImages = true;
    auto none = engine->images("nspawn");
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, ErrorCode::NotSupported);
    EXPECT_NE(none.error().message.find("backend 'nspawn'"), std::string::npos) << none.error().message;

    auto unknown = engine->images("vmware");
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().code, ErrorCode::InvalidArgs);
    auto unconfigured = engine->images("proxmox-qemu");
    ASSERT_FALSE(unconfigured);
    EXPECT_EQ(unconfigured.error().code, ErrorCode::BackendUnavailable);
}

}  // namespace
}  // namespace zenith::unittest
