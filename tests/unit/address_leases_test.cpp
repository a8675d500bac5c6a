// Leases in a real registry database: concurrent creates never share an
// address, leases survive a restart, and a refused pick records nothing.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <set>
#include <thread>
#include <vector>

#include "core/address_leases.h"
#include "core/inet.h"

namespace zenith::core {
namespace {

uint32_t a(const char* text) { return *parseIpv4(text); }

class AddressLeasesTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char tmpl[] = "/tmp/zenith-leases-test-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        reopen();
        auto p = parseIpv4Pool(AddressPool{"cloudpods", "10.1.10.0/24", "10.1.10.1", {}, "10.1.10.50", "10.1.10.99"});
        ASSERT_TRUE(p);
        pool = *p;
    }
    void TearDown() override
    {
        registry.reset();
        std::filesystem::remove_all(dir_);
    }
    void reopen()
    {
        registry.reset();
        auto r = Registry::open(dir_ + "/zenith.db");
        ASSERT_TRUE(r) << r.error().message;
        registry = std::move(*r);
    }

    std::string dir_;
    std::unique_ptr<Registry> registry;
    Ipv4Pool pool;
};

TEST_F(AddressLeasesTest, AutoTakesTheNextFreeAndRecordsIt)
{
    AddressLeases leases(*registry);
    EXPECT_EQ(*leases.leaseNext(pool, "m1"), a("10.1.10.50"));
    EXPECT_EQ(*leases.leaseNext(pool, "m2"), a("10.1.10.51"));
    auto held = leases.leases("cloudpods");
    ASSERT_TRUE(held);
    EXPECT_EQ(*held, (Ipv4Leases{{a("10.1.10.50"), "m1"}, {a("10.1.10.51"), "m2"}}));
    EXPECT_TRUE(leases.leases("other")->empty());
}

TEST_F(AddressLeasesTest, ConcurrentCreatesNeverShareAnAddress)
{
    constexpr int kCreates = 40;  // within the range of 50
    std::vector<uint32_t> got(kCreates);
    std::vector<std::thread> threads;
    for (int i = 0; i < kCreates; ++i)
        threads.emplace_back([&, i] {
            AddressLeases leases(*registry);
            auto r = leases.leaseNext(pool, "m" + std::to_string(i));
            got[i] = r.value_or(0);
        });
    for (auto& t : threads)
        t.join();
    std::set<uint32_t> distinct(got.begin(), got.end());
    EXPECT_EQ(distinct.size(), static_cast<size_t>(kCreates));
    EXPECT_EQ(distinct.count(0), 0u) << "a lease failed";
    EXPECT_EQ(*distinct.begin(), a("10.1.10.50"));
    EXPECT_EQ(*distinct.rbegin(), a("10.1.10.89"));
}

TEST_F(AddressLeasesTest, LeasesOutliveARestartAndAreReleasedPerMachine)
{
    {
        AddressLeases leases(*registry);
        ASSERT_TRUE(leases.leaseNext(pool, "m1"));
        ASSERT_TRUE(leases.lease(pool, a("10.1.10.200"), "m1"));  // a second address of m1
        ASSERT_TRUE(leases.leaseNext(pool, "m2"));
    }
    reopen();
    AddressLeases leases(*registry);
    EXPECT_EQ(leases.leases("cloudpods")->size(), 3u);
    EXPECT_EQ(*leases.leaseNext(pool, "m3"), a("10.1.10.52"));
    ASSERT_TRUE(leases.release("m1"));
    EXPECT_EQ(*leases.leases("cloudpods"), (Ipv4Leases{{a("10.1.10.51"), "m2"}, {a("10.1.10.52"), "m3"}}));
    // The freed address is the next one handed out.
    EXPECT_EQ(*leases.leaseNext(pool, "m4"), a("10.1.10.50"));
}

TEST_F(AddressLeasesTest, ExplicitAndShorthandAddressesAreCheckedAgainstEveryLease)
{
    AddressLeases leases(*registry);
    EXPECT_EQ(*leases.leaseLastOctet(pool, 91, "migra-client-01"), a("10.1.10.91"));
    auto taken = leases.lease(pool, a("10.1.10.91"), "someone-else");
    ASSERT_FALSE(taken);
    EXPECT_EQ(taken.error().code, ErrorCode::InvalidArgs);
    // Its holder may lease it again (a retried job).
    EXPECT_EQ(*leases.lease(pool, a("10.1.10.91"), "migra-client-01"), a("10.1.10.91"));
    EXPECT_EQ(leases.leases("cloudpods")->size(), 1u);
}

TEST_F(AddressLeasesTest, ARefusedOrExhaustedPickRecordsNothing)
{
    auto small = parseIpv4Pool(AddressPool{"small", "10.9.0.0/24", "", {}, "10.9.0.10", "10.9.0.11"});
    ASSERT_TRUE(small);
    AddressLeases leases(*registry);
    ASSERT_TRUE(leases.leaseNext(*small, "m1"));
    ASSERT_TRUE(leases.leaseNext(*small, "m2"));
    auto none = leases.leaseNext(*small, "m3");
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, ErrorCode::AddressExhausted);
    EXPECT_FALSE(leases.lease(*small, a("10.8.0.5"), "m3"));
    EXPECT_EQ(leases.leases("small")->size(), 2u);
}

Ipv6Address a6(const char* text) { return *parseIpv6(text); }

Ipv6Pool dualStack6()
{
    AddressPool c{"cloudpods", "10.1.10.0/24", "10.1.10.1", {}, "10.1.10.50", "10.1.10.99"};
    c.subnet6 = "2001:db8:10::/64";
    c.gateway6 = "2001:db8:10::1";
    auto p = parseIpv6Pool(c);
    EXPECT_TRUE(p) << p.error().message;
    return p.value_or(Ipv6Pool{});
}

TEST_F(AddressLeasesTest, IPv6LeasesAreKeptApartFromIPv4AndNeverShared)
{
    const Ipv6Pool pool6 = dualStack6();
    constexpr int kCreates = 20;
    std::vector<Ipv6Address> got(kCreates);
    std::vector<std::thread> threads;
    for (int i = 0; i < kCreates; ++i)
        threads.emplace_back([&, i] {
            AddressLeases leases(*registry);
            got[i] = leases.leaseNext6(pool6, "m" + std::to_string(i)).value_or(0);
        });
    for (auto& t : threads)
        t.join();
    std::set<Ipv6Address> distinct(got.begin(), got.end());
    EXPECT_EQ(distinct.size(), static_cast<size_t>(kCreates));
    EXPECT_EQ(distinct.count(0), 0u) << "a lease failed";
    EXPECT_EQ(*distinct.begin(), a6("2001:db8:10::2"));  // ::1 is the gateway
    EXPECT_EQ(*distinct.rbegin(), a6("2001:db8:10::15"));

    AddressLeases leases(*registry);
    // The same machine holds one address of each family.
    ASSERT_TRUE(leases.leaseNext(pool, "m0"));
    EXPECT_EQ(leases.leases("cloudpods")->size(), 1u);
    EXPECT_EQ(leases.leases6("cloudpods")->size(), static_cast<size_t>(kCreates));
    // An explicit address: checked against every lease, its holder may repeat it.
    auto taken = leases.lease6(pool6, a6("2001:db8:10::2"), "someone-else");
    ASSERT_FALSE(taken);
    EXPECT_EQ(taken.error().code, ErrorCode::InvalidArgs);
    const std::string holder = leases.leases6("cloudpods")->at(a6("2001:db8:10::2"));
    EXPECT_TRUE(leases.lease6(pool6, a6("2001:db8:10::2"), holder));
    EXPECT_FALSE(leases.lease6(pool6, a6("2001:db8:11::2"), "m99"));  // outside the subnet
}

TEST_F(AddressLeasesTest, IPv6LeasesOutliveARestartAndReleaseTakesBothFamilies)
{
    const Ipv6Pool pool6 = dualStack6();
    {
        AddressLeases leases(*registry);
        ASSERT_TRUE(leases.leaseNext(pool, "m1"));
        ASSERT_TRUE(leases.leaseNext6(pool6, "m1"));
        ASSERT_TRUE(leases.lease6(pool6, a6("2001:db8:10::beef"), "m2"));
    }
    reopen();
    AddressLeases leases(*registry);
    EXPECT_EQ(*leases.leases6("cloudpods"),
              (Ipv6Leases{{a6("2001:db8:10::2"), "m1"}, {a6("2001:db8:10::beef"), "m2"}}));
    ASSERT_TRUE(leases.release("m1"));
    EXPECT_TRUE(leases.leases("cloudpods")->empty());
    EXPECT_EQ(*leases.leases6("cloudpods"), (Ipv6Leases{{a6("2001:db8:10::beef"), "m2"}}));
    EXPECT_EQ(*leases.leaseNext6(pool6, "m3"), a6("2001:db8:10::2"));
}

}  // namespace
}  // namespace zenith::core
