#include "drivers/proxmox/lxc_network.h"

#include <fmt/format.h>

#include "core/inet.h"
#include "core/text_quote.h"
#include "drivers/proxmox/client/property_string.h"

namespace zenith::drivers::proxmox {

namespace {

using core::ErrorCode;

std::unexpected<core::Error> bad(std::string_view key, std::string_view value, std::string_view why)
{
    return core::fail(ErrorCode::InvalidArgs, fmt::format("net0: {}={} {}", key, core::quoteForMessage(value), why));
}

bool isStaticIpv4(std::string_view v)
{
    auto p = core::parseIpv4Prefix(v);
    return p && p->length >= 8 && p->length <= 32;
}

bool isStaticIpv6(std::string_view v) { return v.find('/') != std::string_view::npos && core::isIpv6WithOptionalPrefix(v); }

}  // namespace

core::Result<std::string> lxcNet0(const LxcNetwork& n)
{
    if (!core::isInterfaceName(n.name))
        return bad("name", n.name, "is not an interface name");
    if (n.bridge.empty())
        return core::fail(ErrorCode::InvalidArgs, "net0: a bridge is needed");
    if (!core::isInterfaceName(n.bridge))
        return bad("bridge", n.bridge, "is not a bridge name");
    const bool staticV4 = isStaticIpv4(n.ipv4);
    if (!n.ipv4.empty() && !staticV4 && n.ipv4 != "dhcp" && n.ipv4 != "manual")
        return bad("ip", n.ipv4, "must be a.b.c.d/8-32, dhcp or manual");
    if (!n.gateway.empty()) {
        if (!staticV4)
            return core::fail(ErrorCode::InvalidArgs, "net0: a gateway needs a static ipv4 address with its mask");
        if (!core::parseIpv4(n.gateway))
            return bad("gw", n.gateway, "is not an IPv4 address");
    }
    const bool staticV6 = isStaticIpv6(n.ipv6);
    if (!n.ipv6.empty() && !staticV6 && n.ipv6 != "dhcp" && n.ipv6 != "auto" && n.ipv6 != "manual")
        return bad("ip6", n.ipv6, "must be an IPv6 address with its prefix, dhcp, auto or manual");
    if (!n.gateway6.empty()) {
        if (!staticV6)
            return core::fail(ErrorCode::InvalidArgs, "net0: an IPv6 gateway needs a static ipv6 address");
        if (!core::isIpv6(n.gateway6))
            return bad("gw6", n.gateway6, "is not an IPv6 address");
    }
    PropertyString p("net0");
    p.add("name", n.name).add("bridge", n.bridge);
    if (!n.ipv4.empty())
        p.add("ip", n.ipv4);
    if (!n.gateway.empty())
        p.add("gw", n.gateway);
    if (!n.ipv6.empty())
        p.add("ip6", n.ipv6);
    if (!n.gateway6.empty())
        p.add("gw6", n.gateway6);
    return p.str();
}

}  // namespace zenith::drivers::proxmox
