// Port forwards of existing machines through the engine: add-forward and
// remove-forward jobs rewrite the machine's ports and bring the host's
// table up to date when they end; a host port is held by one machine only
// (checked at submit, creates included); a template's forwards are not in
// effect.
#include <gtest/gtest.h>

#include "core/flags.h"
#include "engine_fixture.h"

namespace zenith::unittest {
namespace {

using core::ErrorCode;
using core::JobState;
using core::NatForward;
using core::PortForward;
using core::SpecMap;
using core::SpecValue;

SpecValue S(std::string v) { return {std::move(v), "s"}; }
SpecValue Q(uint16_t v) { return {v, "q"}; }

class EngineForwardsTest : public EngineTest {
protected:
    void SetUp() override
    {
        EngineTest::SetUp();
        core::AddressPool lab;
        lab.name = "lab";
        lab.subnet = "10.1.10.0/24";
        lab.rangeFirst = "10.1.10.91";
        lab.rangeLast = "10.1.10.99";
        poolConfig = {{"lab", lab}};
        restart();
    }

    // A stopped machine with an address of the pool (the fake driver
    // reports `address` as its own).
    void machineWithAddress(const std::string& name, const std::string& address, SpecMap extra = {})
    {
        driver->addresses = {address};
        extra.emplace("ipv4", S(address + "/24"));
        auto req = engine->prepareCreate(name, "nspawn", extra, core::kFlagNoStart);
        ASSERT_TRUE(req) << req.error().message;
        auto s = engine->submit(*req, 1000);
        ASSERT_TRUE(s) << s.error().message;
        ASSERT_EQ(observer.waitFinished(s->jobId).state, JobState::Done);
    }

    core::Result<core::Submitted> change(const char* op, const std::string& machine, SpecMap args,
                                         uint64_t flags = 0)
    {
        auto req = engine->prepare(op, core::OperationInput{.machine = machine, .spec = args, .flags = flags});
        if (!req)
            return std::unexpected(req.error());
        return engine->submit(*req, 1000);
    }
    static SpecMap forward(const char* proto, uint16_t host, uint16_t machine)
    {
        return {{"proto", S(proto)}, {"host_port", Q(host)}, {"machine_port", Q(machine)}};
    }
    static SpecMap hostPort(const char* proto, uint16_t host) { return {{"proto", S(proto)}, {"host_port", Q(host)}}; }

    std::string errorOf(const core::Result<core::Submitted>& r) { return r ? "accepted" : r.error().message; }
};

TEST_F(EngineForwardsTest, AddedAndRemovedOnAnExistingMachine)
{
    machineWithAddress("web", "10.1.10.91");
    auto added = change("add-forward", "web", forward("tcp", 8022, 22));
    ASSERT_TRUE(added) << added.error().message;
    auto done = observer.waitFinished(added->jobId);
    ASSERT_EQ(done.state, JobState::Done) << done.errorMessage;
    EXPECT_EQ(done.operation, "add-forward");
    EXPECT_EQ(natCalls().back().forwards, (std::vector<NatForward>{{"web", "tcp", 8022, "10.1.10.91", 22}}));
    EXPECT_EQ(core::configuredForwards(*engine->machine("web")), (std::vector<PortForward>{{"tcp", 8022, 22}}));

    // Kept across a restart (the record's spec), and applied again.
    natApplied.clear();
    restart();
    EXPECT_EQ(natCalls().front().forwards, (std::vector<NatForward>{{"web", "tcp", 8022, "10.1.10.91", 22}}));

    auto removed = change("remove-forward", "web", hostPort("tcp", 8022));
    ASSERT_TRUE(removed) << removed.error().message;
    ASSERT_EQ(observer.waitFinished(removed->jobId).state, JobState::Done);
    EXPECT_TRUE(natCalls().back().forwards.empty());
    EXPECT_TRUE(core::configuredForwards(*engine->machine("web")).empty());
    EXPECT_EQ(errorOf(change("remove-forward", "web", hostPort("tcp", 8022))),
              "ports: web forwards no host port 8022/tcp");
}

TEST_F(EngineForwardsTest, AHostPortIsForwardedToOneMachineOnly)
{
    machineWithAddress("web", "10.1.10.91", {{"ports", SpecValue{std::vector<PortForward>{{"tcp", 8022, 22}}, "a(sqq)"}}});
    machineWithAddress("db", "10.1.10.92");
    const size_t jobsBefore = engine->jobs().size();
    EXPECT_EQ(errorOf(change("add-forward", "db", forward("tcp", 8022, 22))),
              "ports: host port 8022/tcp is forwarded to another machine already");
    EXPECT_EQ(errorOf(change("add-forward", "web", forward("tcp", 8022, 2222))),
              "ports: web forwards host port 8022/tcp already");
    // A create asking for it too, and a clone that would inherit it.
    auto req = engine->prepareCreate(
        "other", "nspawn",
        {{"ipv4", S("10.1.10.93/24")}, {"ports", SpecValue{std::vector<PortForward>{{"tcp", 8022, 80}}, "a(sqq)"}}},
        core::kFlagNoStart);
    ASSERT_TRUE(req) << req.error().message;
    auto s = engine->submit(*req, 1000);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, ErrorCode::InvalidArgs);
    EXPECT_EQ(engine->jobs().size(), jobsBefore);  // nothing was started
    EXPECT_FALSE(engine->machine("other"));
    // Another protocol on the same number is another port.
    auto udp = change("add-forward", "db", forward("udp", 8022, 53));
    ASSERT_TRUE(udp) << udp.error().message;
    EXPECT_EQ(observer.waitFinished(udp->jobId).state, JobState::Done);
}

TEST_F(EngineForwardsTest, BadArgumentsAndBackendsWithoutForwardsAreNamed)
{
    machineWithAddress("web", "10.1.10.91");
    EXPECT_EQ(errorOf(change("add-forward", "web", forward("sctp", 8022, 22))), "proto: expected tcp or udp");
    EXPECT_EQ(errorOf(change("add-forward", "web", forward("tcp", 0, 22))), "host_port: expected a port, 1-65535");
    EXPECT_EQ(errorOf(change("add-forward", "web", hostPort("tcp", 8022))), "machine_port: missing");
    auto extra = forward("tcp", 8022, 22);
    extra.emplace("address", S("1.2.3.4"));
    EXPECT_EQ(errorOf(change("add-forward", "web", extra)), "unknown argument 'address'");
    EXPECT_EQ(errorOf(change("add-forward", "nope", forward("tcp", 8022, 22))), "no machine 'nope'");
    driver->forwardsPorts = false;
    auto other = change("add-forward", "web", forward("tcp", 8022, 22));
    ASSERT_FALSE(other);
    EXPECT_EQ(other.error().code, ErrorCode::NotSupported);
}

TEST_F(EngineForwardsTest, ADryRunChangesNothing)
{
    machineWithAddress("web", "10.1.10.91");
    const size_t applied = natCalls().size();
    auto plan = change("add-forward", "web", forward("tcp", 8022, 22), core::kFlagDryRun);
    ASSERT_TRUE(plan) << plan.error().message;
    auto done = observer.waitFinished(plan->jobId);
    EXPECT_EQ(done.message, "would forward host port 8022/tcp to port 22 of machine 'web'");
    EXPECT_TRUE(core::configuredForwards(*engine->machine("web")).empty());
    EXPECT_EQ(natCalls().size(), applied);
}

TEST_F(EngineForwardsTest, ATemplatesForwardsAreNotInEffect)
{
    machineWithAddress("golden", "10.1.10.91",
                       {{"ports", SpecValue{std::vector<PortForward>{{"tcp", 8022, 22}}, "a(sqq)"}}});
    EXPECT_FALSE(natCalls().back().forwards.empty());
    ASSERT_EQ(observer.waitFinished(submitSimple("template", "golden").jobId).state, JobState::Done);
    EXPECT_TRUE(natCalls().back().forwards.empty());
    restart();
    EXPECT_TRUE(natCalls().back().forwards.empty());
    // ... and the port is free for a machine that runs.
    machineWithAddress("web", "10.1.10.92", {{"ports", SpecValue{std::vector<PortForward>{{"tcp", 8022, 22}}, "a(sqq)"}}});
    EXPECT_EQ(natCalls().back().forwards, (std::vector<NatForward>{{"web", "tcp", 8022, "10.1.10.92", 22}}));
}

}  // namespace
}  // namespace zenith::unittest
