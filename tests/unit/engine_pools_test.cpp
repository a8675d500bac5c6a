// Address pools through the engine: ipv4=auto leases the next free address
// in the job (one registry transaction: concurrent creates never share one),
// an explicit address or a last octet is checked against the pool and the
// leases before any job, the pool's gateway and DNS fill in what the spec
// leaves out, and a failed create or a destroy gives the address back.
#include <gtest/gtest.h>

#include <set>

#include "core/flags.h"
#include "engine_fixture.h"

namespace zenith::unittest {
namespace {

using core::ErrorCode;
using core::JobState;
using core::SpecMap;
using core::SpecValue;
using testsupport::FakeOp;

SpecValue S(std::string v) { return {std::move(v), "s"}; }
SpecValue U(uint32_t v) { return {v, "u"}; }

class EnginePoolsTest : public EngineTest {
protected:
    void SetUp() override
    {
        EngineTest::SetUp();
        core::AddressPool lab;
        lab.name = "lab";
        lab.subnet = "10.1.10.0/24";
        lab.gateway = "10.1.10.1";
        lab.dns = {"10.1.10.53"};
        lab.rangeFirst = "10.1.10.91";
        lab.rangeLast = "10.1.10.93";
        core::AddressPool other;
        other.name = "other";
        other.subnet = "192.168.7.0/24";
        poolConfig = {{"lab", lab}, {"other", other}};
        beforeRecovery = [](testsupport::FakeDriver& d) {
            d.ownKeys = {{"last_octet", "u", core::speccheck::any}};
        };
        restart();
    }

    core::Result<core::Submitted> create(const std::string& name, SpecMap spec)
    {
        auto req = engine->prepareCreate(name, "nspawn", spec, core::kFlagNoStart);
        if (!req)
            return std::unexpected(req.error());
        return engine->submit(*req, 1000);
    }

    std::map<std::string, std::string> leases()
    {
        std::map<std::string, std::string> out;
        auto all = engine->poolLeases("lab");
        EXPECT_TRUE(all) << all.error().message;
        for (const auto& l : all.value_or(std::vector<core::LeaseInfo>{}))
            out[l.address] = l.machine;
        return out;
    }
};

// The host's forwards follow the machines: in place when the create is
// done, back after a restart, gone with the machine.
TEST_F(EnginePoolsTest, PortForwardsAreAppliedWithTheMachineAndRemovedWithIt)
{
    driver->addresses = {"10.1.10.91"};
    auto s = create("pod1", {{"ipv4", S("auto")},
                             {"pool", S("lab")},
                             {"ports", SpecValue{std::vector<core::PortForward>{{"tcp", 8022, 22}}, "a(sqq)"}}});
    ASSERT_TRUE(s) << s.error().message;
    ASSERT_EQ(observer.waitFinished(s->jobId).state, JobState::Done);
    const std::vector<core::NatForward> pod1{{"pod1", "tcp", 8022, "10.1.10.91", 22}};
    ASSERT_FALSE(natCalls().empty());
    EXPECT_EQ(natCalls().back().forwards, pod1);
    EXPECT_TRUE(natCalls().back().masquerade.empty());  // no pool here says NAT=yes

    natApplied.clear();
    restart();
    ASSERT_FALSE(natCalls().empty());
    EXPECT_EQ(natCalls().front().forwards, pod1);  // before the first caller is served

    ASSERT_EQ(observer.waitFinished(submitSimple("destroy", "pod1").jobId).state, JobState::Done);
    EXPECT_TRUE(natCalls().back().empty());
}

TEST_F(EnginePoolsTest, AutoTakesTheNextFreeAddressWithThePoolsGatewayAndDns)
{
    EXPECT_EQ(*engine->nextFreeAddress("lab"), "10.1.10.91/24");
    auto s = create("pod1", {{"ipv4", S("auto")}, {"pool", S("lab")}});
    ASSERT_TRUE(s) << s.error().message;
    ASSERT_EQ(observer.waitFinished(s->jobId).state, JobState::Done);
    const core::MachineSpec* seen = driver->lastSpec();
    ASSERT_NE(seen, nullptr);
    EXPECT_EQ(seen->ipv4, "10.1.10.91/24");
    EXPECT_EQ(seen->gateway, "10.1.10.1");
    EXPECT_EQ(seen->dns, (std::vector<std::string>{"10.1.10.53"}));
    EXPECT_EQ(leases(), (std::map<std::string, std::string>{{"10.1.10.91", "pod1"}}));
    EXPECT_EQ(*engine->nextFreeAddress("lab"), "10.1.10.92/24");
    // The record says what it was made with.
    EXPECT_NE(engine->machine("pod1")->specJson.find("\"10.1.10.91/24\""), std::string::npos);

    auto pools = engine->pools();
    ASSERT_TRUE(pools);
    ASSERT_EQ(pools->size(), 2u);
    EXPECT_EQ(pools->at(0).name, "lab");
    EXPECT_EQ(pools->at(0).subnet, "10.1.10.0/24");
    EXPECT_EQ(pools->at(0).range, "10.1.10.91-10.1.10.93");
    EXPECT_EQ(pools->at(0).size, 3u);
    EXPECT_EQ(pools->at(0).leased, 1u);
}

TEST_F(EnginePoolsTest, ConcurrentCreatesNeverShareAnAddressAndTheLastIsExhausted)
{
    driver->hold(FakeOp::Create);  // after the lease: all three hold theirs
    std::vector<uint32_t> jobs;
    for (auto name : {"c1", "c2", "c3"}) {
        auto s = create(name, {{"ipv4", S("auto")}, {"pool", S("lab")}});
        ASSERT_TRUE(s) << s.error().message;
        jobs.push_back(s->jobId);
    }
    ASSERT_TRUE(driver->waitReachedHold(FakeOp::Create, 3));
    EXPECT_EQ(leases().size(), 3u);
    auto fourth = engine->prepareCreate("c4", "nspawn", {{"ipv4", S("auto")}, {"pool", S("lab")}}, 0);
    ASSERT_FALSE(fourth);
    EXPECT_EQ(fourth.error().code, ErrorCode::AddressExhausted);
    EXPECT_NE(fourth.error().message.find("lab"), std::string::npos) << fourth.error().message;
    auto peek = engine->nextFreeAddress("lab");
    ASSERT_FALSE(peek);
    EXPECT_EQ(peek.error().code, ErrorCode::AddressExhausted);
    driver->release(FakeOp::Create);
    for (auto id : jobs)
        EXPECT_EQ(observer.waitFinished(id).state, JobState::Done);
    // Whichever job leased first: three addresses, three machines.
    std::set<std::string> addresses, holders;
    for (const auto& [address, machine] : leases()) {
        addresses.insert(address);
        holders.insert(machine);
    }
    EXPECT_EQ(addresses, (std::set<std::string>{"10.1.10.91", "10.1.10.92", "10.1.10.93"}));
    EXPECT_EQ(holders, (std::set<std::string>{"c1", "c2", "c3"}));
}

TEST_F(EnginePoolsTest, AFailedCreateAndADestroyGiveTheAddressBack)
{
    driver->failWith(FakeOp::Create, {ErrorCode::BackendFailed, "disk full"});
    auto s = create("broken", {{"ipv4", S("auto")}, {"pool", S("lab")}});
    ASSERT_TRUE(s);
    EXPECT_EQ(observer.waitFinished(s->jobId).state, JobState::Failed);
    EXPECT_TRUE(leases().empty());

    restart();  // a driver that no longer fails
    auto ok = create("fine", {{"ipv4", S("auto")}, {"pool", S("lab")}});
    ASSERT_TRUE(ok);
    ASSERT_EQ(observer.waitFinished(ok->jobId).state, JobState::Done);
    EXPECT_EQ(leases().size(), 1u);
    EXPECT_EQ(observer.waitFinished(submitSimple("destroy", "fine").jobId).state, JobState::Done);
    EXPECT_TRUE(leases().empty());
}

TEST_F(EnginePoolsTest, AChosenAddressIsCheckedAgainstThePoolAndTheLeasesBeforeAnyJob)
{
    auto first = create("holder", {{"ipv4", S("10.1.10.92/24")}, {"pool", S("lab")}});
    ASSERT_TRUE(first) << first.error().message;
    ASSERT_EQ(observer.waitFinished(first->jobId).state, JobState::Done);
    EXPECT_EQ(leases(), (std::map<std::string, std::string>{{"10.1.10.92", "holder"}}));

    const size_t jobsBefore = engine->jobs().size();
    auto expectRefused = [&](const std::string& name, SpecMap spec, ErrorCode code, const std::string& fragment) {
        auto r = engine->prepareCreate(name, "nspawn", spec, 0);
        ASSERT_FALSE(r) << name;
        EXPECT_EQ(r.error().code, code) << r.error().message;
        EXPECT_NE(r.error().message.find(fragment), std::string::npos) << name << ": " << r.error().message;
    };
    // Taken: said without naming the holder (another tenant's machine).
    expectRefused("taken", {{"ipv4", S("10.1.10.92/24")}, {"pool", S("lab")}}, ErrorCode::InvalidArgs,
                  "10.1.10.92: already leased");
    expectRefused("octet", {{"last_octet", U(92)}, {"pool", S("lab")}}, ErrorCode::InvalidArgs,
                  "10.1.10.92: already leased");
    expectRefused("outside", {{"ipv4", S("10.9.9.9/24")}, {"pool", S("lab")}}, ErrorCode::InvalidArgs,
                  "not in pool 'lab'");
    expectRefused("gw", {{"ipv4", S("10.1.10.1/24")}, {"pool", S("lab")}}, ErrorCode::InvalidArgs, "gateway");
    expectRefused("nopool", {{"ipv4", S("auto")}, {"pool", S("nope")}}, ErrorCode::InvalidArgs,
                  "configured: lab, other");
    expectRefused("nokey", {{"ipv4", S("auto")}}, ErrorCode::InvalidArgs, "needs an address pool");
    expectRefused("both", {{"ipv4", S("auto")}, {"last_octet", U(93)}, {"pool", S("lab")}}, ErrorCode::InvalidArgs,
                  "either ipv4 or last_octet");
    EXPECT_EQ(engine->jobs().size(), jobsBefore);
    // Unknown pools in the queries too.
    auto unknown = engine->poolLeases("nope");
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().code, ErrorCode::InvalidArgs);
}

TEST_F(EnginePoolsTest, TheCloudPodsLastOctetAndTheBackendsDefaultPool)
{
    driver->defaultPool = "lab";
    auto s = create("migra-client-01", {{"last_octet", U(93)}});
    ASSERT_TRUE(s) << s.error().message;
    ASSERT_EQ(observer.waitFinished(s->jobId).state, JobState::Done);
    EXPECT_EQ(driver->lastSpec()->ipv4, "10.1.10.93/24");
    EXPECT_EQ(driver->lastSpec()->pool, "lab");
    EXPECT_FALSE(driver->lastSpec()->backend.has("last_octet"));  // it became ipv4
    auto autoDefault = create("pod2", {{"ipv4", S("auto")}});
    ASSERT_TRUE(autoDefault) << autoDefault.error().message;
    ASSERT_EQ(observer.waitFinished(autoDefault->jobId).state, JobState::Done);
    EXPECT_EQ(leases(), (std::map<std::string, std::string>{{"10.1.10.91", "pod2"}, {"10.1.10.93", "migra-client-01"}}));
    // An address outside the default pool is the caller's own: not leased.
    auto own = create("own", {{"ipv4", S("172.16.0.5/16")}});
    ASSERT_TRUE(own) << own.error().message;
    ASSERT_EQ(observer.waitFinished(own->jobId).state, JobState::Done);
    EXPECT_EQ(leases().size(), 2u);
}

// An address inside a pool other than the backend's default is that pool's:
// leased from it, so its `auto` never hands it out again.
TEST_F(EnginePoolsTest, AnExplicitAddressInAnyPoolIsLeasedFromThatPool)
{
    driver->defaultPool = "lab";
    auto s = create("elsewhere", {{"ipv4", S("192.168.7.20/24")}});
    ASSERT_TRUE(s) << s.error().message;
    ASSERT_EQ(observer.waitFinished(s->jobId).state, JobState::Done);
    auto other = engine->poolLeases("other");
    ASSERT_TRUE(other);
    ASSERT_EQ(other->size(), 1u);
    EXPECT_EQ(other->front().address, "192.168.7.20");
    EXPECT_EQ(driver->lastSpec()->pool, "other");
    EXPECT_TRUE(leases().empty());
}

// The CloudPods script's `--ip 10.1.10.91`: a bare address takes the length
// of the pool that holds it; one no pool holds needs its /len.
TEST_F(EnginePoolsTest, ABareAddressTakesThePrefixOfItsPool)
{
    auto s = create("bare", {{"ipv4", S("192.168.7.21")}});
    ASSERT_TRUE(s) << s.error().message;
    ASSERT_EQ(observer.waitFinished(s->jobId).state, JobState::Done);
    ASSERT_TRUE(driver->lastSpec());
    EXPECT_EQ(driver->lastSpec()->ipv4, "192.168.7.21/24");
    EXPECT_EQ(driver->lastSpec()->pool, "other");

    auto outside = create("nowhere", {{"ipv4", S("172.16.9.9")}});
    ASSERT_FALSE(outside);
    EXPECT_EQ(outside.error().code, ErrorCode::InvalidArgs);
    EXPECT_NE(outside.error().message.find("a.b.c.d/len"), std::string::npos) << outside.error().message;
}

// A clone does not take its source's address or guest id: it gets the next
// free address of the source's pool unless the overrides name one.
TEST_F(EnginePoolsTest, AClonesAddressIsANewOneFromTheSourcesPool)
{
    auto s = create("pod1", {{"ipv4", S("auto")}, {"pool", S("lab")}});
    ASSERT_TRUE(s) << s.error().message;
    ASSERT_EQ(observer.waitFinished(s->jobId).state, JobState::Done);
    auto req = engine->prepareClone("pod1", "pod1-copy", {}, core::kFlagNoStart);
    ASSERT_TRUE(req) << req.error().message;
    auto c = engine->submit(*req, 1000);
    ASSERT_TRUE(c) << c.error().message;
    ASSERT_EQ(observer.waitFinished(c->jobId).state, JobState::Done);
    EXPECT_EQ(driver->lastSpec()->ipv4, "10.1.10.92/24");
    EXPECT_EQ(leases(), (std::map<std::string, std::string>{{"10.1.10.91", "pod1"}, {"10.1.10.92", "pod1-copy"}}));
}

}  // namespace
}  // namespace zenith::unittest
