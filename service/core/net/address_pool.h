// IPv4 address pools ([Pool.NAME]): which address a new machine gets. Pure
// arithmetic over the pool's config and the leases the registry holds; the
// registry makes "pick and lease" one transaction, so two creates never get
// the same address. Shared by every backend.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/error.h"

namespace zenith::core {

// A pool's config, checked and in numbers (host byte order).
struct Ipv4Pool {
    std::string name;
    uint32_t network = 0;
    unsigned prefixLength = 0;
    uint32_t gateway = 0;  // 0: none
    uint32_t first = 0, last = 0;  // the range handed out, inclusive
    std::vector<std::string> dns;  // what a machine of the pool resolves with

    bool contains(uint32_t a) const;  // in the subnet
    uint32_t broadcast() const;
};

// Address -> the machine that holds it.
using Ipv4Leases = std::map<uint32_t, std::string>;

// InvalidArgs naming the pool when the subnet, gateway or range do not fit
// together (range outside the subnet, a gateway that is no host of it...);
// the config parser checks the same at load, this keeps pools built any
// other way honest. Without a range, the range is the subnet's hosts.
Result<Ipv4Pool> parseIpv4Pool(const AddressPool& config);

// The lowest address of the range that is not leased and not the gateway;
// AddressExhausted naming the pool when there is none.
Result<uint32_t> nextFreeIpv4(const Ipv4Pool& pool, const Ipv4Leases& leases);

// An address the caller chose: in the subnet, not its network, broadcast or
// gateway address (InvalidArgs), and not leased to another machine (also
// InvalidArgs; `holder` may keep its own). It may lie outside the range
// (the range is what `auto` picks from).
Result<uint32_t> checkRequestedIpv4(const Ipv4Pool& pool, uint32_t address, const Ipv4Leases& leases,
                                    const std::string& holder);

// The CloudPods shorthand: "91" in 10.1.10.0/24 is 10.1.10.91. Only for a
// /24 pool (elsewhere a last octet names no single address); then checked
// like any requested address.
Result<uint32_t> ipv4FromLastOctet(const Ipv4Pool& pool, unsigned octet, const Ipv4Leases& leases,
                                   const std::string& holder);

}  // namespace zenith::core
