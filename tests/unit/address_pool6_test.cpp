// The IPv6 part of an address pool: 128-bit arithmetic, the addresses IPv6
// reserves (subnet-router anycast, RFC 2526's top 128), a /64 walked by its
// leases rather than probed, and requested addresses checked.
#include <gtest/gtest.h>

#include "core/inet.h"
#include "core/net/address_pool6.h"

namespace zenith::core {
namespace {

Ipv6Address a(const char* text)
{
    auto v = parseIpv6(text);
    EXPECT_TRUE(v) << text;
    return v.value_or(0);
}

AddressPool config(std::string subnet, std::string gateway = "", std::string first = "", std::string last = "")
{
    AddressPool c;
    c.name = "v6";
    c.subnet6 = std::move(subnet);
    c.gateway6 = std::move(gateway);
    c.range6First = std::move(first);
    c.range6Last = std::move(last);
    c.dns = {"2001:db8::53"};
    return c;
}

Ipv6Pool pool(AddressPool c)
{
    auto p = parseIpv6Pool(c);
    EXPECT_TRUE(p) << p.error().message;
    return p.value_or(Ipv6Pool{});
}

TEST(AddressPool6, TextAndNumbersRoundTrip)
{
    EXPECT_EQ(a("::1"), Ipv6Address{1});
    EXPECT_EQ(a("2001:db8::") >> 96, Ipv6Address{0x20010db8});
    EXPECT_EQ(formatIpv6(a("2001:0DB8:0:0:0:0:0:0001")), "2001:db8::1");  // RFC 5952 spelling
    EXPECT_EQ(formatIpv6(a("2001:db8:10::ffff:ffff:ffff:ff7f")), "2001:db8:10:0:ffff:ffff:ffff:ff7f");
    EXPECT_FALSE(parseIpv6("10.1.10.1"));
    EXPECT_FALSE(parseIpv6("2001:db8::1/64"));
    auto p = parseIpv6Prefix("2001:db8:10::/64");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->length, 64u);
    EXPECT_FALSE(parseIpv6Prefix("2001:db8::/129"));
    EXPECT_EQ(ipv6Netmask(64), ~Ipv6Address{0} << 64);
    EXPECT_EQ(ipv6Netmask(0), Ipv6Address{0});
}

TEST(AddressPool6, ASlash64WithoutRangeLeavesOutTheAnycastAddresses)
{
    auto p = pool(config("2001:db8:10::/64", "2001:db8:10::1"));
    EXPECT_EQ(p.network, a("2001:db8:10::"));
    EXPECT_EQ(p.prefixLength, 64u);
    EXPECT_EQ(p.gateway, a("2001:db8:10::1"));
    EXPECT_EQ(p.first, a("2001:db8:10::1"));
    // RFC 2526: the 128 highest interface ids are subnet anycast addresses.
    EXPECT_EQ(p.last, a("2001:db8:10:0:ffff:ffff:ffff:ff7f"));
    EXPECT_EQ(p.rangeSize(UINT32_MAX), uint64_t{UINT32_MAX});  // saturated
    EXPECT_EQ(p.dns, (std::vector<std::string>{"2001:db8::53"}));
    // A small subnet keeps its top addresses (no room for the reservation).
    auto small = pool(config("2001:db8:10::/124"));
    EXPECT_EQ(small.first, a("2001:db8:10::1"));
    EXPECT_EQ(small.last, a("2001:db8:10::f"));
    EXPECT_EQ(small.rangeSize(UINT32_MAX), 15u);
    // The boundary: a /120 (256 addresses) keeps the reservation, a /121 not.
    EXPECT_EQ(pool(config("2001:db8:10::/120")).last, a("2001:db8:10::7f"));
    EXPECT_EQ(pool(config("2001:db8:10::/121")).last, a("2001:db8:10::7f"));
    EXPECT_EQ(pool(config("2001:db8:10::80/121")).last, a("2001:db8:10::ff"));
}

TEST(AddressPool6, ConfigsThatDoNotFitTogetherAreNamed)
{
    for (const AddressPool& bad : {
             config("2001:db8:10::"),                                               // no prefix
             config("2001:db8:10::1/64"),                                           // host bits
             config("2001:db8:10::/127"),                                           // too small
             config("10.1.10.0/24"),                                                // not IPv6
             config("2001:db8:10::/64", "2001:db8:11::1"),                          // gateway outside
             config("2001:db8:10::/64", "2001:db8:10::"),                           // gateway = anycast
             config("2001:db8:10::/64", "", "2001:db8:10::", "2001:db8:10::9"),     // range has the anycast
             config("2001:db8:10::/64", "", "2001:db8:10::5", "2001:db8:11::9"),    // range leaves the subnet
             config("2001:db8:10::/64", "", "2001:db8:10::9", "2001:db8:10::5"),    // backwards
             config("2001:db8:10::/64", "", "2001:db8:10::9", ""),                  // half a range
         }) {
        auto p = parseIpv6Pool(bad);
        ASSERT_FALSE(p) << bad.subnet6 << " " << bad.gateway6 << " " << bad.range6First << "-" << bad.range6Last;
        EXPECT_EQ(p.error().code, ErrorCode::InvalidArgs);
        EXPECT_NE(p.error().message.find("address pool v6"), std::string::npos) << p.error().message;
    }
}

TEST(AddressPool6, NextFreeSkipsTheGatewayAndTheLeases)
{
    auto p = pool(config("2001:db8:10::/64", "2001:db8:10::1"));
    EXPECT_EQ(formatIpv6(*nextFreeIpv6(p, {})), "2001:db8:10::2");
    Ipv6Leases leases{{a("2001:db8:10::2"), "m1"}, {a("2001:db8:10::3"), "m2"}, {a("2001:db8:10::5"), "m3"}};
    EXPECT_EQ(formatIpv6(*nextFreeIpv6(p, leases)), "2001:db8:10::4");
    leases[a("2001:db8:10::4")] = "m4";
    EXPECT_EQ(formatIpv6(*nextFreeIpv6(p, leases)), "2001:db8:10::6");
}

TEST(AddressPool6, ManyLeasesInASlash64AreWalkedNotProbed)
{
    auto p = pool(config("2001:db8:10::/64", "", "2001:db8:10::100", "2001:db8:10:0:ffff::"));
    Ipv6Leases leases;
    for (unsigned i = 0; i < 100000; ++i)
        leases[a("2001:db8:10::100") + i] = "m";
    EXPECT_EQ(*nextFreeIpv6(p, leases), a("2001:db8:10::100") + 100000);
}

TEST(AddressPool6, AFullRangeIsAddressExhausted)
{
    auto p = pool(config("2001:db8:10::/64", "2001:db8:10::1", "2001:db8:10::1", "2001:db8:10::3"));
    Ipv6Leases leases{{a("2001:db8:10::2"), "m1"}, {a("2001:db8:10::3"), "m2"}};
    auto r = nextFreeIpv6(p, leases);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::AddressExhausted);
    EXPECT_NE(r.error().message.find("v6"), std::string::npos) << r.error().message;
    // The very top of the address space ends the walk too (no wrap to ::).
    auto top = pool(config("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0/124"));
    Ipv6Leases all;
    for (Ipv6Address x = top.first;; ++x) {
        all[x] = "m";
        if (x == top.last)
            break;
    }
    auto full = nextFreeIpv6(top, all);
    ASSERT_FALSE(full);
    EXPECT_EQ(full.error().code, ErrorCode::AddressExhausted);
}

TEST(AddressPool6, RequestedAddressesAreChecked)
{
    auto p = pool(config("2001:db8:10::/64", "2001:db8:10::1", "2001:db8:10::100", "2001:db8:10::1ff"));
    Ipv6Leases leases{{a("2001:db8:10::100"), "migra-client-01"}};
    EXPECT_EQ(*checkRequestedIpv6(p, a("2001:db8:10::101"), leases, "new"), a("2001:db8:10::101"));
    // Outside the range but inside the subnet is the caller's choice.
    EXPECT_TRUE(checkRequestedIpv6(p, a("2001:db8:10::beef"), leases, "new"));
    EXPECT_TRUE(checkRequestedIpv6(p, a("2001:db8:10::100"), leases, "migra-client-01"));
    for (const char* bad : {"2001:db8:11::5", "2001:db8:10::", "2001:db8:10::1", "2001:db8:10::100",
                            "2001:db8:10:0:ffff:ffff:ffff:ff80", "2001:db8:10:0:ffff:ffff:ffff:ffff"}) {
        auto r = checkRequestedIpv6(p, a(bad), leases, "new");
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().code, ErrorCode::InvalidArgs) << bad;
        EXPECT_NE(r.error().message.find(bad), std::string::npos) << r.error().message;
        EXPECT_EQ(r.error().message.find("migra-client-01"), std::string::npos) << "names another machine";
    }
    // Just below the RFC 2526 addresses is a host's.
    EXPECT_TRUE(checkRequestedIpv6(p, a("2001:db8:10:0:ffff:ffff:ffff:ff7f"), leases, "new"));
    // A small subnet has no reserved top: its last address is a host's.
    auto small = pool(config("2001:db8:10::/124"));
    EXPECT_TRUE(checkRequestedIpv6(small, a("2001:db8:10::f"), {}, "new"));
}

}  // namespace
}  // namespace zenith::core
