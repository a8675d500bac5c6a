// What adding and removing a port forward share: the forward the caller
// names (proto, host_port, machine_port in the operation's input) and the
// subject's spec, whose `ports` the job rewrites.
#pragma once

#include <optional>

#include "core/ops/operation.h"
#include "core/ops/prepare_steps.h"

namespace zenith::core::ops {

// proto (tcp|udp) and host_port (1-65535) always; machine_port (1-65535)
// when `withMachinePort`. InvalidArgs naming the argument, also for any
// other key.
Result<PortForward> forwardOf(const SpecMap& input, bool withMachinePort);

// The subject of a forward change: a machine of a backend whose ports the
// host forwards (else NotSupported), with its spec as recorded.
struct ForwardSubject {
    Subject subject;
    MachineSpec spec;
};
Result<ForwardSubject> forwardSubject(const OperationEnv& env, const std::string& machine);

// The forwards of `spec` that match `f`'s proto and host port.
bool hasHostPort(const MachineSpec& spec, const PortForward& f);

}  // namespace zenith::core::ops
