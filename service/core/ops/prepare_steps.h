// The checks and details every operation's prepare() shares: names and
// flags, the backend, the subject, the polkit details and the locks.
#pragma once

#include <string>

#include "core/flags.h"
#include "core/ops/operation.h"

namespace zenith::core::ops {

Result<void> checkNameAndFlags(const std::string& name, std::string_view argument, uint64_t flags,
                               uint64_t allowed = kFlagsKnown);

// The driver of `backend`: BackendUnavailable for a known backend this host
// has not configured, InvalidArgs for an unknown one.
Result<drivers::Driver*> driverFor(const OperationEnv& env, const std::string& backend);

// The existing machine a request acts on, and its driver.
struct Subject {
    MachineRecord record;
    drivers::Driver* driver = nullptr;
};
Result<Subject> existingSubject(const OperationEnv& env, const std::string& name);

// bridge and host_ports details from a machine spec.
void setNetworkDetails(Request& req, const drivers::Driver& d, const MachineSpec& spec);

// The subject's lock (and a clone's source, shared) are set by the caller;
// this checks the address the spec asks for against its pool and the leases
// (InvalidArgs, AddressExhausted) and adds what the spec claims (host ports,
// a chosen address) and what the driver claims (a vmid, a serialized
// source).
Result<void> addClaimedLocks(Request& req, const drivers::Driver& d, const OperationEnv& env);

}  // namespace zenith::core::ops
