#include "core/net/address_pool6.h"

#include <tuple>

#include <fmt/format.h>

namespace zenith::core {

namespace {

std::string ip(Ipv6Address a) { return formatIpv6(a); }

}  // namespace

bool Ipv6Pool::contains(Ipv6Address a) const { return (a & ipv6Netmask(prefixLength)) == network; }

uint64_t Ipv6Pool::rangeSize(uint64_t cap) const
{
    const Ipv6Address span = last - first;  // one less than the size: a /0 range cannot overflow
    return span >= cap ? cap : static_cast<uint64_t>(span) + 1;
}

Result<Ipv6Pool> parseIpv6Pool(const AddressPool& c)
{
    auto bad = [&](std::string why) {
        return fail(ErrorCode::InvalidArgs, fmt::format("address pool {}: {}", c.name, why));
    };
    auto prefix = parseIpv6Prefix(c.subnet6);
    if (!prefix)
        return bad(fmt::format("Subnet={} is not an IPv6 prefix (address/len)", c.subnet6));
    if (prefix->length < 1 || prefix->length > 126)
        return bad(fmt::format("Subnet={}: the prefix length must be 1-126", c.subnet6));
    Ipv6Pool p;
    p.name = c.name;
    p.dns = c.dns;
    p.prefixLength = prefix->length;
    p.network = prefix->address & ipv6Netmask(prefix->length);
    if (p.network != prefix->address)
        return bad(fmt::format("Subnet={} has host bits set (the network is {}/{})", c.subnet6, ip(p.network),
                               p.prefixLength));
    auto host = [&](Ipv6Address a) { return p.contains(a) && a != p.network; };
    if (!c.gateway6.empty()) {
        auto gw = parseIpv6(c.gateway6);
        if (!gw || !host(*gw))
            return bad(fmt::format("Gateway={} is not a host address of {}", c.gateway6, c.subnet6));
        p.gateway = *gw;
    }
    std::tie(p.first, p.last) = defaultIpv6Range(p.network, p.prefixLength);
    if (!c.range6First.empty() || !c.range6Last.empty()) {
        auto first = parseIpv6(c.range6First), last = parseIpv6(c.range6Last);
        if (!first || !last)
            return bad("an IPv6 Range= needs two IPv6 addresses");
        if (!host(*first) || !host(*last) || *first > *last)
            return bad(fmt::format("range {}-{} is not within the hosts of {}", c.range6First, c.range6Last,
                                   c.subnet6));
        p.first = *first;
        p.last = *last;
    }
    return p;
}

Result<Ipv6Address> nextFreeIpv6(const Ipv6Pool& pool, const Ipv6Leases& leases)
{
    // As for IPv4: walk the sorted leases alongside the range, so a /64 is
    // never probed address by address (the first gap is at most
    // leases + 2 steps away).
    Ipv6Address candidate = pool.first;
    for (auto it = leases.lower_bound(pool.first);; ++candidate) {
        while (it != leases.end() && it->first < candidate)
            ++it;
        if (candidate != pool.gateway && (it == leases.end() || it->first != candidate))
            return candidate;
        if (candidate == pool.last)
            break;
    }
    return fail(ErrorCode::AddressExhausted,
                fmt::format("address pool {} has no free IPv6 address left in {}-{} ({} leased)", pool.name,
                            ip(pool.first), ip(pool.last), leases.size()));
}

Result<Ipv6Address> checkRequestedIpv6(const Ipv6Pool& pool, Ipv6Address address, const Ipv6Leases& leases,
                                       const std::string& holder)
{
    auto bad = [&](std::string why) {
        return fail(ErrorCode::InvalidArgs, fmt::format("ipv6 {}: {}", ip(address), why));
    };
    if (!pool.contains(address))
        return bad(fmt::format("not in address pool {} ({}/{})", pool.name, ip(pool.network), pool.prefixLength));
    if (address == pool.network)
        return bad(fmt::format("the subnet-router anycast address of {}/{}", ip(pool.network), pool.prefixLength));
    if (address == pool.gateway)
        return bad(fmt::format("the gateway of address pool {}", pool.name));
    // Above the default range's end are only the RFC 2526 addresses.
    if (address > defaultIpv6Range(pool.network, pool.prefixLength).second)
        return bad(fmt::format("one of the 128 highest addresses of {}/{}, reserved for subnet anycast (RFC 2526)",
                               ip(pool.network), pool.prefixLength));
    if (auto it = leases.find(address); it != leases.end() && it->second != holder)
        return bad("already leased to another machine");
    return address;
}

}  // namespace zenith::core
