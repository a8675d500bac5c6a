// Which addresses a new machine asks for, and from which pool. IPv4:
// `ipv4=auto` (the next free address), an explicit `ipv4` inside a pool's
// subnet (leased so nobody else gets it), or the CloudPods shorthand
// `last_octet` (a backend key: "91" in 10.1.10.0/24). IPv6 likewise from the
// pool's IPv6 part: `ipv6=auto` or an explicit `ipv6`. The pool is the
// spec's `pool` or the backend's default (Driver::addressPool()). Checked at
// prepare against the config and the leases (a clear error before any job),
// leased for real in the job (one registry transaction per family, so two
// creates never get one address).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/net/address_pool.h"
#include "core/net/address_pool6.h"
#include "core/ops/operation.h"

namespace zenith::core::ops {

struct AddressRequest {
    enum class Kind { None, Auto, Explicit, LastOctet };
    Kind kind = Kind::None;
    const Ipv4Pool* pool = nullptr;  // null: an explicit address outside every pool, not leased
    uint32_t address = 0;            // Explicit
    unsigned lastOctet = 0;          // LastOctet

    // IPv6 (None, Auto or Explicit).
    Kind kind6 = Kind::None;
    const Ipv6Pool* pool6 = nullptr;  // null: outside every pool, not leased
    Ipv6Address address6 = 0;         // Explicit
};

// What `spec` asks for; InvalidArgs naming the key when it cannot be met
// (no such pool, `auto` without a pool or its family, an address outside the
// pool given, both ipv4 and last_octet, ipv6=auto with a tunnel mode).
Result<AddressRequest> addressRequestOf(const MachineSpec& spec, const drivers::Driver& driver,
                                        const OperationEnv& env);

// The pool whose IPv6 part holds `address` (pools never overlap), or null.
const Ipv6Pool* poolHolding(const OperationEnv& env, Ipv6Address address);

// The prepare-time check against the leases now: the address it would get
// (AddressExhausted, or InvalidArgs for an address leased to another
// machine); nullopt when nothing is leased. One function per family.
Result<std::optional<uint32_t>> previewAddress(const AddressRequest& request, const OperationEnv& env,
                                               const std::string& machine);
Result<std::optional<Ipv6Address>> previewAddress6(const AddressRequest& request, const OperationEnv& env,
                                                   const std::string& machine);

// `spec` with the leased address: ipv4 as a.b.c.d/len, the pool's gateway
// and DNS where the spec gives none, and the pool named.
void applyLeasedAddress(MachineSpec& spec, const AddressRequest& request, uint32_t address);
// The same for IPv6: ipv6 as addr/len and the pool's IPv6 gateway.
void applyLeasedAddress6(MachineSpec& spec, const AddressRequest& request, Ipv6Address address);

}  // namespace zenith::core::ops
