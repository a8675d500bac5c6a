#include "core/net/address_pool.h"

#include <fmt/format.h>

#include "core/inet.h"

namespace zenith::core {

namespace {

std::string ip(uint32_t a) { return formatIpv4(a); }

}  // namespace

bool Ipv4Pool::contains(uint32_t a) const { return (a & ipv4Netmask(prefixLength)) == network; }

uint32_t Ipv4Pool::broadcast() const { return network | ~ipv4Netmask(prefixLength); }

Result<Ipv4Pool> parseIpv4Pool(const AddressPool& c)
{
    auto bad = [&](std::string why) {
        return fail(ErrorCode::InvalidArgs, fmt::format("address pool {}: {}", c.name, why));
    };
    auto prefix = parseIpv4Prefix(c.subnet);
    if (!prefix)
        return bad(fmt::format("Subnet={} is not an IPv4 prefix (a.b.c.d/len)", c.subnet));
    // As the config parser accepts: a /31 or /32 has no host to hand out.
    if (prefix->length < 1 || prefix->length > 30)
        return bad(fmt::format("Subnet={}: the prefix length must be 1-30", c.subnet));
    Ipv4Pool p;
    p.name = c.name;
    p.dns = c.dns;
    p.prefixLength = prefix->length;
    p.network = prefix->address & ipv4Netmask(prefix->length);
    if (p.network != prefix->address)
        return bad(fmt::format("Subnet={} has host bits set (the network is {}/{})", c.subnet, ip(p.network),
                               p.prefixLength));
    if (!c.gateway.empty()) {
        auto gw = parseIpv4(c.gateway);
        if (!gw || !p.contains(*gw) || *gw == p.network || *gw == p.broadcast())
            return bad(fmt::format("Gateway={} is not a host address of {}", c.gateway, c.subnet));
        p.gateway = *gw;
    }
    p.first = p.network + 1;
    p.last = p.broadcast() - 1;
    if (!c.rangeFirst.empty() || !c.rangeLast.empty()) {
        auto first = parseIpv4(c.rangeFirst), last = parseIpv4(c.rangeLast);
        if (!first || !last)
            return bad("RangeFirst= and RangeLast= must both be IPv4 addresses");
        if (*first < p.first || *last > p.last || *first > *last)
            return bad(fmt::format("range {}-{} is not within the hosts of {}", c.rangeFirst, c.rangeLast, c.subnet));
        p.first = *first;
        p.last = *last;
    }
    return p;
}

Result<uint32_t> nextFreeIpv4(const Ipv4Pool& pool, const Ipv4Leases& leases)
{
    // Leases are sorted: walk them alongside the range instead of probing
    // every address of a /8.
    uint32_t candidate = pool.first;
    for (auto it = leases.lower_bound(pool.first); candidate <= pool.last; ++candidate) {
        while (it != leases.end() && it->first < candidate)
            ++it;
        if (candidate == pool.gateway || (it != leases.end() && it->first == candidate))
            continue;
        return candidate;
    }
    return fail(ErrorCode::AddressExhausted,
                fmt::format("address pool {} has no free address left in {}-{} ({} leased)", pool.name,
                            ip(pool.first), ip(pool.last), leases.size()));
}

Result<uint32_t> checkRequestedIpv4(const Ipv4Pool& pool, uint32_t address, const Ipv4Leases& leases,
                                    const std::string& holder)
{
    auto bad = [&](std::string why) {
        return fail(ErrorCode::InvalidArgs, fmt::format("ipv4 {}: {}", ip(address), why));
    };
    if (!pool.contains(address))
        return bad(fmt::format("not in address pool {} ({}/{})", pool.name, ip(pool.network), pool.prefixLength));
    if (address == pool.network || address == pool.broadcast())
        return bad(fmt::format("the {} address of {}/{}", address == pool.network ? "network" : "broadcast",
                               ip(pool.network), pool.prefixLength));
    if (address == pool.gateway)
        return bad(fmt::format("the gateway of address pool {}", pool.name));
    // The holder is not named: the caller may not be allowed to see it.
    if (auto it = leases.find(address); it != leases.end() && it->second != holder)
        return bad("already leased to another machine");
    return address;
}

Result<uint32_t> ipv4FromLastOctet(const Ipv4Pool& pool, unsigned octet, const Ipv4Leases& leases,
                                   const std::string& holder)
{
    if (pool.prefixLength != 24)
        return fail(ErrorCode::InvalidArgs,
                    fmt::format("last_octet needs a /24 pool; {} is /{}", pool.name, pool.prefixLength));
    if (octet > 255)
        return fail(ErrorCode::InvalidArgs, fmt::format("last_octet {} is not 0-255", octet));
    // The pool's base with its last octet replaced: 10.1.10.0/24 + 91.
    return checkRequestedIpv4(pool, pool.network | octet, leases, holder);
}

}  // namespace zenith::core
