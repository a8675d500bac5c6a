// Who holds which address of a pool, kept in the registry so that a lease
// outlives a daemon restart. Picking an address and recording its lease is
// one registry transaction under the registry's lock: two creates running
// at once never get the same address, and a failed job leaves no lease.
#pragma once

#include <cstdint>
#include <string>

#include "core/net/address_pool.h"
#include "core/net/address_pool6.h"
#include "core/error.h"
#include "core/registry.h"

namespace zenith::core {

class AddressLeases {
public:
    explicit AddressLeases(Registry& registry) : registry_(registry) {}

    // ipv4=auto: the lowest free address of the pool's range, leased to
    // `machine`; AddressExhausted naming the pool when none is left.
    Result<uint32_t> leaseNext(const Ipv4Pool& pool, const std::string& machine);
    // An address the caller chose (checkRequestedIpv4's rules), leased to
    // `machine`; leasing what it already holds is fine.
    Result<uint32_t> lease(const Ipv4Pool& pool, uint32_t address, const std::string& machine);
    // The CloudPods shorthand (ipv4FromLastOctet), leased likewise.
    Result<uint32_t> leaseLastOctet(const Ipv4Pool& pool, unsigned octet, const std::string& machine);

    Result<Ipv4Leases> leases(const std::string& pool) const;

    // The same for a pool's IPv6 part (no last-octet form).
    Result<Ipv6Address> leaseNext6(const Ipv6Pool& pool, const std::string& machine);
    Result<Ipv6Address> lease6(const Ipv6Pool& pool, Ipv6Address address, const std::string& machine);
    Result<Ipv6Leases> leases6(const std::string& pool) const;

    // Every lease of `machine`, of both families in every pool (destroy,
    // rollback).
    Result<void> release(const std::string& machine);

private:
    Registry& registry_;
};

}  // namespace zenith::core
