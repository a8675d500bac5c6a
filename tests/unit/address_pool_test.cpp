#include <gtest/gtest.h>

#include "core/net/address_pool.h"
#include "core/inet.h"

namespace zenith::core {
namespace {

uint32_t a(const char* text) { return *parseIpv4(text); }

Ipv4Pool cloudpods(std::string first = "10.1.10.50", std::string last = "10.1.10.99")
{
    AddressPool c{"cloudpods", "10.1.10.0/24", "10.1.10.1", {"1.1.1.1"}, first, last};
    auto p = parseIpv4Pool(c);
    EXPECT_TRUE(p) << p.error().message;
    return p.value_or(Ipv4Pool{});
}

TEST(AddressPool, ParsesSubnetGatewayAndRange)
{
    auto p = cloudpods();
    EXPECT_EQ(p.network, a("10.1.10.0"));
    EXPECT_EQ(p.prefixLength, 24u);
    EXPECT_EQ(p.gateway, a("10.1.10.1"));
    EXPECT_EQ(p.first, a("10.1.10.50"));
    EXPECT_EQ(p.last, a("10.1.10.99"));
    EXPECT_EQ(p.broadcast(), a("10.1.10.255"));
    // No range: every host address of the subnet.
    auto whole = cloudpods("", "");
    EXPECT_EQ(whole.first, a("10.1.10.1"));
    EXPECT_EQ(whole.last, a("10.1.10.254"));
}

TEST(AddressPool, ConfigsThatDoNotFitTogetherAreNamed)
{
    for (AddressPool bad : {
             AddressPool{"p", "10.1.10.0", "", {}, "", ""},                              // no prefix
             AddressPool{"p", "10.1.10.7/24", "", {}, "", ""},                           // host bits
             AddressPool{"p", "10.1.10.0/31", "", {}, "", ""},                           // too small
             AddressPool{"p", "10.1.10.0/24", "10.1.11.1", {}, "", ""},                  // gateway outside
             AddressPool{"p", "10.1.10.0/24", "10.1.10.255", {}, "", ""},                // gateway = broadcast
             AddressPool{"p", "10.1.10.0/24", "", {}, "10.1.10.0", "10.1.10.9"},         // range has the network
             AddressPool{"p", "10.1.10.0/24", "", {}, "10.1.10.50", "10.1.11.9"},        // range leaves the subnet
             AddressPool{"p", "10.1.10.0/24", "", {}, "10.1.10.60", "10.1.10.50"},       // backwards
             AddressPool{"p", "10.1.10.0/24", "", {}, "10.1.10.60", ""},                 // half a range
         }) {
        auto p = parseIpv4Pool(bad);
        ASSERT_FALSE(p) << bad.subnet << " " << bad.gateway << " " << bad.rangeFirst << "-" << bad.rangeLast;
        EXPECT_EQ(p.error().code, ErrorCode::InvalidArgs);
        EXPECT_NE(p.error().message.find("address pool p"), std::string::npos) << p.error().message;
    }
}

TEST(AddressPool, NextFreeIsTheLowestUnleasedOfTheRange)
{
    auto p = cloudpods();
    EXPECT_EQ(*nextFreeIpv4(p, {}), a("10.1.10.50"));
    Ipv4Leases leases{{a("10.1.10.50"), "m1"}, {a("10.1.10.51"), "m2"}, {a("10.1.10.53"), "m3"},
                      {a("10.1.10.7"), "outside-the-range"}};
    EXPECT_EQ(*nextFreeIpv4(p, leases), a("10.1.10.52"));
    leases[a("10.1.10.52")] = "m4";
    EXPECT_EQ(*nextFreeIpv4(p, leases), a("10.1.10.54"));
}

TEST(AddressPool, TheGatewayIsNeverHandedOut)
{
    auto p = cloudpods("10.1.10.1", "10.1.10.3");
    EXPECT_EQ(*nextFreeIpv4(p, {}), a("10.1.10.2"));
}

TEST(AddressPool, AFullRangeIsAddressExhausted)
{
    auto p = cloudpods("10.1.10.50", "10.1.10.52");
    Ipv4Leases leases{{a("10.1.10.50"), "m1"}, {a("10.1.10.51"), "m2"}, {a("10.1.10.52"), "m3"}};
    auto r = nextFreeIpv4(p, leases);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::AddressExhausted);
    EXPECT_NE(r.error().message.find("cloudpods"), std::string::npos);
}

TEST(AddressPool, AWideRangeWithManyLeasesIsWalkedNotProbed)
{
    AddressPool c{"big", "10.0.0.0/8", "10.0.0.1", {}, "", ""};
    auto p = parseIpv4Pool(c);
    ASSERT_TRUE(p);
    Ipv4Leases leases;
    for (uint32_t i = 0; i < 100000; ++i)
        leases[a("10.0.0.2") + i] = "m";
    EXPECT_EQ(*nextFreeIpv4(*p, leases), a("10.0.0.2") + 100000);
}

TEST(AddressPool, RequestedAddressesAreChecked)
{
    auto p = cloudpods();
    Ipv4Leases leases{{a("10.1.10.91"), "migra-client-01"}};
    EXPECT_EQ(*checkRequestedIpv4(p, a("10.1.10.92"), leases, "new"), a("10.1.10.92"));
    // Outside the range but inside the subnet is the caller's choice.
    EXPECT_EQ(*checkRequestedIpv4(p, a("10.1.10.200"), leases, "new"), a("10.1.10.200"));
    // Its own lease is no conflict (a re-create keeps its address).
    EXPECT_TRUE(checkRequestedIpv4(p, a("10.1.10.91"), leases, "migra-client-01"));
    for (const char* bad : {"10.1.11.5", "10.1.10.0", "10.1.10.255", "10.1.10.1", "10.1.10.91"}) {
        auto r = checkRequestedIpv4(p, a(bad), leases, "new");
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().code, ErrorCode::InvalidArgs) << bad;
        EXPECT_NE(r.error().message.find(bad), std::string::npos) << r.error().message;
        EXPECT_EQ(r.error().message.find("migra-client-01"), std::string::npos) << "names another machine";
    }
}

TEST(AddressPool, LastOctetShorthand)
{
    auto p = cloudpods();
    EXPECT_EQ(*ipv4FromLastOctet(p, 91, {}, "m"), a("10.1.10.91"));
    EXPECT_FALSE(ipv4FromLastOctet(p, 1, {}, "m"));    // the gateway
    EXPECT_FALSE(ipv4FromLastOctet(p, 255, {}, "m"));  // broadcast
    EXPECT_FALSE(ipv4FromLastOctet(p, 256, {}, "m"));
    AddressPool wide{"wide", "10.1.0.0/16", "", {}, "", ""};
    auto w = parseIpv4Pool(wide);
    ASSERT_TRUE(w);
    auto r = ipv4FromLastOctet(*w, 91, {}, "m");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("/24"), std::string::npos);
}

}  // namespace
}  // namespace zenith::core
