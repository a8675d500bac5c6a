// IPv6 address pools through the engine: a pool with an IPv6 subnet hands
// out `ipv6=auto` like `ipv4=auto` (leased in the job, never twice, given
// back on failure and destroy), a dual-stack machine holds one address of
// each family, an explicit IPv6 address is checked before any job, and the
// listings show each family of a pool.
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

class EnginePools6Test : public EngineTest {
protected:
    void SetUp() override
    {
        EngineTest::SetUp();
        core::AddressPool dual;
        dual.name = "dual";
        dual.subnet = "10.1.10.0/24";
        dual.gateway = "10.1.10.1";
        dual.rangeFirst = "10.1.10.91";
        dual.rangeLast = "10.1.10.93";
        dual.subnet6 = "2001:db8:10::/64";
        dual.gateway6 = "2001:db8:10::1";
        dual.range6First = "2001:db8:10::100";
        dual.range6Last = "2001:db8:10::102";
        dual.dns = {"2001:db8:10::53"};
        core::AddressPool v6only;
        v6only.name = "v6only";
        v6only.subnet6 = "fd00:77::/64";
        core::AddressPool v4only;
        v4only.name = "v4only";
        v4only.subnet = "192.168.7.0/24";
        poolConfig = {{"dual", dual}, {"v6only", v6only}, {"v4only", v4only}};
        restart();
    }

    core::Result<core::Submitted> create(const std::string& name, SpecMap spec)
    {
        auto req = engine->prepareCreate(name, "nspawn", spec, core::kFlagNoStart);
        if (!req)
            return std::unexpected(req.error());
        return engine->submit(*req, 1000);
    }

    std::map<std::string, std::string> leases(const std::string& pool)
    {
        std::map<std::string, std::string> out;
        auto all = engine->poolLeases(pool);
        EXPECT_TRUE(all) << all.error().message;
        for (const auto& l : all.value_or(std::vector<core::LeaseInfo>{}))
            out[l.address] = l.machine;
        return out;
    }

    void expectRefused(const std::string& name, SpecMap spec, ErrorCode code, const std::string& fragment)
    {
        auto r = engine->prepareCreate(name, "nspawn", spec, 0);
        ASSERT_FALSE(r) << name;
        EXPECT_EQ(r.error().code, code) << r.error().message;
        EXPECT_NE(r.error().message.find(fragment), std::string::npos) << name << ": " << r.error().message;
    }
};

TEST_F(EnginePools6Test, ADualStackMachineGetsOneAddressOfEachFamily)
{
    EXPECT_EQ(*engine->nextFreeAddress("dual"), "10.1.10.91/24");
    EXPECT_EQ(*engine->nextFreeAddress6("dual"), "2001:db8:10::100/64");
    auto s = create("pod1", {{"ipv4", S("auto")}, {"ipv6", S("auto")}, {"pool", S("dual")}});
    ASSERT_TRUE(s) << s.error().message;
    ASSERT_EQ(observer.waitFinished(s->jobId).state, JobState::Done);
    const core::MachineSpec* seen = driver->lastSpec();
    ASSERT_NE(seen, nullptr);
    EXPECT_EQ(seen->ipv4, "10.1.10.91/24");
    EXPECT_EQ(seen->gateway, "10.1.10.1");
    EXPECT_EQ(seen->ipv6, "2001:db8:10::100/64");
    EXPECT_EQ(seen->gateway6, "2001:db8:10::1");
    EXPECT_EQ(seen->dns, (std::vector<std::string>{"2001:db8:10::53"}));
    EXPECT_EQ(leases("dual"),
              (std::map<std::string, std::string>{{"10.1.10.91", "pod1"}, {"2001:db8:10::100", "pod1"}}));
    EXPECT_EQ(*engine->nextFreeAddress6("dual"), "2001:db8:10::101/64");
    // The record keeps the leased address, not "auto".
    EXPECT_NE(engine->machine("pod1")->specJson.find("\"2001:db8:10::100/64\""), std::string::npos);

    // One row per family, IPv4 first; a /64's size saturates.
    auto pools = engine->pools();
    ASSERT_TRUE(pools);
    ASSERT_EQ(pools->size(), 4u);
    EXPECT_EQ(pools->at(0).name, "dual");
    EXPECT_EQ(pools->at(0).subnet, "10.1.10.0/24");
    EXPECT_EQ(pools->at(1).name, "dual");
    EXPECT_EQ(pools->at(1).subnet, "2001:db8:10::/64");
    EXPECT_EQ(pools->at(1).gateway, "2001:db8:10::1");
    EXPECT_EQ(pools->at(1).range, "2001:db8:10::100-2001:db8:10::102");
    EXPECT_EQ(pools->at(1).size, 3u);
    EXPECT_EQ(pools->at(1).leased, 1u);
    EXPECT_EQ(pools->at(2).name, "v4only");
    EXPECT_EQ(pools->at(3).name, "v6only");
    EXPECT_EQ(pools->at(3).subnet, "fd00:77::/64");
    EXPECT_EQ(pools->at(3).range, "fd00:77::1-fd00:77::ffff:ffff:ffff:ff7f");
    EXPECT_EQ(pools->at(3).size, UINT32_MAX);
}

TEST_F(EnginePools6Test, ConcurrentCreatesNeverShareAnIPv6AddressAndTheLastIsExhausted)
{
    driver->hold(FakeOp::Create);  // after the lease: all three hold theirs
    std::vector<uint32_t> jobs;
    for (auto name : {"c1", "c2", "c3"}) {
        auto s = create(name, {{"ipv6", S("auto")}, {"pool", S("dual")}});
        ASSERT_TRUE(s) << s.error().message;
        jobs.push_back(s->jobId);
    }
    ASSERT_TRUE(driver->waitReachedHold(FakeOp::Create, 3));
    std::set<std::string> addresses, holders;
    for (const auto& [address, machine] : leases("dual")) {
        addresses.insert(address);
        holders.insert(machine);
    }
    EXPECT_EQ(addresses, (std::set<std::string>{"2001:db8:10::100", "2001:db8:10::101", "2001:db8:10::102"}));
    EXPECT_EQ(holders, (std::set<std::string>{"c1", "c2", "c3"}));
    auto fourth = engine->prepareCreate("c4", "nspawn", {{"ipv6", S("auto")}, {"pool", S("dual")}}, 0);
    ASSERT_FALSE(fourth);
    EXPECT_EQ(fourth.error().code, ErrorCode::AddressExhausted);
    EXPECT_NE(fourth.error().message.find("dual"), std::string::npos) << fourth.error().message;
    driver->release(FakeOp::Create);
    for (uint32_t id : jobs)
        EXPECT_EQ(observer.waitFinished(id).state, JobState::Done);
}

TEST_F(EnginePools6Test, AFailedCreateGivesBothAddressesBackAndADestroyToo)
{
    driver->failWith(FakeOp::Create, {ErrorCode::BackendFailed, "disk full"});
    auto s = create("broken", {{"ipv4", S("auto")}, {"ipv6", S("auto")}, {"pool", S("dual")}});
    ASSERT_TRUE(s);
    EXPECT_EQ(observer.waitFinished(s->jobId).state, JobState::Failed);
    EXPECT_TRUE(leases("dual").empty());

    restart();
    auto ok = create("fine", {{"ipv6", S("auto")}, {"pool", S("v6only")}});
    ASSERT_TRUE(ok) << ok.error().message;
    ASSERT_EQ(observer.waitFinished(ok->jobId).state, JobState::Done);
    EXPECT_EQ(leases("v6only"), (std::map<std::string, std::string>{{"fd00:77::1", "fine"}}));
    EXPECT_EQ(observer.waitFinished(submitSimple("destroy", "fine").jobId).state, JobState::Done);
    EXPECT_TRUE(leases("v6only").empty());
}

TEST_F(EnginePools6Test, AChosenIPv6AddressIsLeasedFromItsPoolAndCheckedBeforeAnyJob)
{
    // A bare address inside a pool takes the pool's prefix length.
    auto s = create("holder", {{"ipv6", S("2001:db8:10::beef")}});
    ASSERT_TRUE(s) << s.error().message;
    ASSERT_EQ(observer.waitFinished(s->jobId).state, JobState::Done);
    EXPECT_EQ(driver->lastSpec()->ipv6, "2001:db8:10::beef/64");
    EXPECT_EQ(driver->lastSpec()->pool, "dual");
    EXPECT_EQ(leases("dual"), (std::map<std::string, std::string>{{"2001:db8:10::beef", "holder"}}));

    const size_t jobsBefore = engine->jobs().size();
    // Taken, in any spelling, without naming the holder.
    expectRefused("taken", {{"ipv6", S("2001:0db8:0010:0:0:0:0:BEEF/64")}}, ErrorCode::InvalidArgs,
                  "2001:db8:10::beef: already leased");
    expectRefused("anycast", {{"ipv6", S("2001:db8:10::/64")}, {"pool", S("dual")}}, ErrorCode::InvalidArgs,
                  "subnet-router anycast");
    expectRefused("gw", {{"ipv6", S("2001:db8:10::1/64")}}, ErrorCode::InvalidArgs, "gateway");
    expectRefused("outside", {{"ipv6", S("2001:db8:99::5/64")}, {"pool", S("dual")}}, ErrorCode::InvalidArgs,
                  "not in pool 'dual'");
    expectRefused("length", {{"ipv6", S("2001:db8:10::5/56")}}, ErrorCode::InvalidArgs, "pool 'dual' is a /64");
    expectRefused("no6", {{"ipv6", S("auto")}, {"pool", S("v4only")}}, ErrorCode::InvalidArgs,
                  "pool 'v4only' has none");
    expectRefused("no4", {{"ipv4", S("auto")}, {"pool", S("v6only")}}, ErrorCode::InvalidArgs,
                  "pool 'v6only' has none");
    expectRefused("nokey", {{"ipv6", S("auto")}}, ErrorCode::InvalidArgs, "needs an address pool with an IPv6");
    expectRefused("tunnel", {{"ipv6", S("auto")}, {"ipv6_mode", S("wireguard")}, {"pool", S("dual")}},
                  ErrorCode::InvalidArgs, "not of ipv6_mode 'wireguard'");
    expectRefused("reserved", {{"ipv6", S("2001:db8:10::ffff:ffff:ffff:fffe/64")}}, ErrorCode::InvalidArgs,
                  "RFC 2526");
    EXPECT_EQ(engine->jobs().size(), jobsBefore);

    // An address outside every pool is the caller's own: not leased.
    auto own = create("own", {{"ipv6", S("2001:db8:99::5/48")}});
    ASSERT_TRUE(own) << own.error().message;
    ASSERT_EQ(observer.waitFinished(own->jobId).state, JobState::Done);
    EXPECT_EQ(driver->lastSpec()->ipv6, "2001:db8:99::5/48");
    EXPECT_EQ(leases("dual").size(), 1u);
    // The pool named for IPv4 has no IPv6 part: an IPv6 address in another
    // pool is that pool's, leased from it.
    auto mixed = create("mixed", {{"ipv4", S("auto")}, {"pool", S("v4only")}, {"ipv6", S("fd00:77::9/64")}});
    ASSERT_TRUE(mixed) << mixed.error().message;
    ASSERT_EQ(observer.waitFinished(mixed->jobId).state, JobState::Done);
    EXPECT_EQ(leases("v4only"), (std::map<std::string, std::string>{{"192.168.7.1", "mixed"}}));
    EXPECT_EQ(leases("v6only"), (std::map<std::string, std::string>{{"fd00:77::9", "mixed"}}));
    // Its clone cannot take "auto" for IPv6 from pool v4only: a named
    // error until the clone is given an ipv6.
    auto clone = engine->prepareClone("mixed", "mixed-copy", {}, core::kFlagNoStart);
    ASSERT_FALSE(clone);
    EXPECT_EQ(clone.error().code, ErrorCode::InvalidArgs);
    EXPECT_NE(clone.error().message.find("is of pool 'v6only'"), std::string::npos) << clone.error().message;
    auto given = engine->prepareClone("mixed", "mixed-copy", {{"ipv6", S("fd00:77::10/64")}}, core::kFlagNoStart);
    ASSERT_TRUE(given) << given.error().message;

    // A bare address outside every pool stays the caller's own, as given.
    auto bare = create("bare6", {{"ipv6", S("2001:db8:99::7")}});
    ASSERT_TRUE(bare) << bare.error().message;
    ASSERT_EQ(observer.waitFinished(bare->jobId).state, JobState::Done);
    EXPECT_EQ(driver->lastSpec()->ipv6, "2001:db8:99::7");

    auto none = engine->nextFreeAddress6("v4only");
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, ErrorCode::InvalidArgs);
    // A pool without IPv4 answers NextFreeAddress with its IPv6 address.
    EXPECT_EQ(*engine->nextFreeAddress("v6only"), "fd00:77::1/64");
}

TEST_F(EnginePools6Test, AClonesIPv6AddressIsANewOneFromTheSourcesPool)
{
    auto s = create("pod1", {{"ipv4", S("auto")}, {"ipv6", S("auto")}, {"pool", S("dual")}});
    ASSERT_TRUE(s) << s.error().message;
    ASSERT_EQ(observer.waitFinished(s->jobId).state, JobState::Done);
    auto req = engine->prepareClone("pod1", "pod1-copy", {}, core::kFlagNoStart);
    ASSERT_TRUE(req) << req.error().message;
    auto c = engine->submit(*req, 1000);
    ASSERT_TRUE(c) << c.error().message;
    ASSERT_EQ(observer.waitFinished(c->jobId).state, JobState::Done);
    EXPECT_EQ(driver->lastSpec()->ipv4, "10.1.10.92/24");
    EXPECT_EQ(driver->lastSpec()->ipv6, "2001:db8:10::101/64");
    EXPECT_EQ(leases("dual"), (std::map<std::string, std::string>{{"10.1.10.91", "pod1"},
                                                                  {"10.1.10.92", "pod1-copy"},
                                                                  {"2001:db8:10::100", "pod1"},
                                                                  {"2001:db8:10::101", "pod1-copy"}}));
}

}  // namespace
}  // namespace zenith::unittest
