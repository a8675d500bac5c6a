#include <gtest/gtest.h>

#include "drivers/proxmox/lxc_network.h"
#include "drivers/proxmox/client/property_string.h"

namespace zenith::drivers::proxmox {
namespace {

using core::ErrorCode;

TEST(ProxmoxPropertyString, JoinsAValueAndKeys)
{
    EXPECT_EQ(*PropertyString("net0").value("virtio").add("bridge", "vmbr0").add("firewall", "1").str(),
              "virtio,bridge=vmbr0,firewall=1");
    EXPECT_EQ(*PropertyString("efidisk0").value("local-lvm:1").add("efitype", "4m").str(), "local-lvm:1,efitype=4m");
}

TEST(ProxmoxPropertyString, AValueCannotAddASettingOfItsOwn)
{
    for (const char* evil : {"vmbr0,ip=1.2.3.4/8", "vmbr0=x", "vmbr0\nfirewall=0", ""}) {
        auto r = PropertyString("net0").add("name", "eth0").add("bridge", evil).add("firewall", "1").str();
        ASSERT_FALSE(r) << evil;
        EXPECT_EQ(r.error().code, ErrorCode::InvalidArgs);
        EXPECT_NE(r.error().message.find("net0: bridge="), std::string::npos) << r.error().message;
    }
}

TEST(ProxmoxLxcNetwork, TheCloudPodsNetwork)
{
    LxcNetwork n;
    n.bridge = "vmbr0";
    n.ipv4 = "10.1.10.91/24";
    n.gateway = "10.1.10.1";
    EXPECT_EQ(*lxcNet0(n), "name=eth0,bridge=vmbr0,ip=10.1.10.91/24,gw=10.1.10.1");
    n.ipv6 = "2001:db8::91/64";
    n.gateway6 = "2001:db8::1";
    EXPECT_EQ(*lxcNet0(n), "name=eth0,bridge=vmbr0,ip=10.1.10.91/24,gw=10.1.10.1,ip6=2001:db8::91/64,gw6=2001:db8::1");
    LxcNetwork dhcp;
    dhcp.bridge = "vmbr1";
    dhcp.ipv4 = "dhcp";
    dhcp.ipv6 = "auto";
    EXPECT_EQ(*lxcNet0(dhcp), "name=eth0,bridge=vmbr1,ip=dhcp,ip6=auto");
}

TEST(ProxmoxLxcNetwork, WhatTheServerWouldRefuseIsRefusedFirst)
{
    auto refused = [](LxcNetwork n, const std::string& what) {
        auto r = lxcNet0(n);
        ASSERT_FALSE(r) << what;
        EXPECT_EQ(r.error().code, ErrorCode::InvalidArgs);
        EXPECT_NE(r.error().message.find(what), std::string::npos) << r.error().message;
    };
    LxcNetwork base;
    base.bridge = "vmbr0";
    auto with = [&](auto f) {
        LxcNetwork n = base;
        f(n);
        return n;
    };
    refused(with([](LxcNetwork& n) { n.bridge = ""; }), "a bridge is needed");
    refused(with([](LxcNetwork& n) { n.bridge = "vmbr0,ip=1.2.3.4/8"; }), "bridge=");
    refused(with([](LxcNetwork& n) { n.ipv4 = "10.1.10.91"; }), "ip='10.1.10.91'");          // no mask
    refused(with([](LxcNetwork& n) { n.ipv4 = "10.1.10.91/4"; }), "ip=");                    // mask below /8
    refused(with([](LxcNetwork& n) { n.ipv4 = "auto"; }), "ip=");                            // v6 only
    refused(with([](LxcNetwork& n) { n.gateway = "10.1.10.1"; }), "a gateway needs a static ipv4");
    refused(with([](LxcNetwork& n) { n.ipv4 = "10.1.10.91/24"; n.gateway = "10.1.10"; }), "gw=");
    refused(with([](LxcNetwork& n) { n.ipv6 = "2001:db8::91"; }), "ip6=");                   // no prefix
    refused(with([](LxcNetwork& n) { n.ipv6 = "dhcp"; n.gateway6 = "2001:db8::1"; }), "IPv6 gateway");
    refused(with([](LxcNetwork& n) { n.name = "eth0,x=1"; }), "name=");
}

}  // namespace
}  // namespace zenith::drivers::proxmox
