// The IPv6 part of an address pool ([Pool.NAME] with an IPv6 Subnet=): which
// address `ipv6=auto` gives a new machine. The same rules as the IPv4 part
// (address_pool.h) in 128-bit numbers, less what IPv6 has no use for: no
// broadcast address, and no last-octet shorthand.
#pragma once

#include <map>
#include <utility>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/error.h"
#include "core/inet.h"

namespace zenith::core {

struct Ipv6Pool {
    std::string name;
    Ipv6Address network = 0;
    unsigned prefixLength = 0;
    Ipv6Address gateway = 0;  // 0: none
    Ipv6Address first = 0, last = 0;  // the range handed out, inclusive
    std::vector<std::string> dns;

    bool contains(Ipv6Address a) const;  // in the subnet
    // Addresses in the range, saturated at `cap` (a /64 holds 2^64).
    uint64_t rangeSize(uint64_t cap) const;
};

using Ipv6Leases = std::map<Ipv6Address, std::string>;

// Subnets of this prefix length or shorter (256 addresses or more) keep
// their 128 highest addresses for subnet anycast (RFC 2526); smaller ones
// would lose half or all of their hosts to it.
inline constexpr unsigned kAnycastReservingPrefix = 120;

// The range a pool without Range= hands out (both the config parser, which
// writes it into the config, and parseIpv6Pool use this): the subnet's hosts
// less the subnet-router anycast address and, from kAnycastReservingPrefix
// down, the 128 highest.
// Inline: the config parser uses it without the rest of the pool code.
inline std::pair<Ipv6Address, Ipv6Address> defaultIpv6Range(Ipv6Address network, unsigned prefixLength)
{
    const Ipv6Address top = network | ~ipv6Netmask(prefixLength);
    return {network + 1, prefixLength <= kAnycastReservingPrefix ? top - 128 : top};
}

// The pool's IPv6 part (config.subnet6 must be set); InvalidArgs naming the
// pool when subnet, gateway and range do not fit together. Without a range:
// the subnet's hosts less the subnet-router anycast address and, in subnets
// of 256 addresses or more, the 128 highest (RFC 2526), as the config
// parser fills it in.
Result<Ipv6Pool> parseIpv6Pool(const AddressPool& config);

// The lowest address of the range neither leased nor the gateway;
// AddressExhausted naming the pool when there is none.
Result<Ipv6Address> nextFreeIpv6(const Ipv6Pool& pool, const Ipv6Leases& leases);

// An address the caller chose: in the subnet, not the subnet-router anycast
// address, one of the RFC 2526 addresses or the gateway, not leased to
// another machine (InvalidArgs).
Result<Ipv6Address> checkRequestedIpv6(const Ipv6Pool& pool, Ipv6Address address, const Ipv6Leases& leases,
                                       const std::string& holder);

}  // namespace zenith::core
