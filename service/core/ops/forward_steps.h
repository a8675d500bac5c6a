// What adding and removing a port forward share: the forward the caller
// names (proto, host_port, machine_port in the operation's input) and the
// subject's spec, whose `ports` the job rewrites.
#pragma once

#include <optional>

#include "core/flags.h"
#include "core/ops/operation.h"
#include "core/ops/prepare_steps.h"
#include "core/ops/subject_operation.h"

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

// The shape add-forward and remove-forward share: prepare checks the
// forward against the subject's recorded spec and puts it into the request
// (its host port is the polkit detail and, when it is published, a lock);
// run rewrites the recorded spec's ports. The engine updates the host's
// table when the job ends.
class ForwardOperation : public SubjectOperation {
public:
    std::string_view action() const override { return "configure"; }
    OperationEffect effect() const override { return OperationEffect::Changes; }
    bool changesForwards() const override { return true; }
    uint64_t allowedFlags() const override { return kFlagDryRun; }
    Result<Request> prepare(const OperationInput& input, const OperationEnv& env) const final;
    Result<void> run(OperationRun& run) const final;

protected:
    virtual bool withMachinePort() const = 0;
    // InvalidArgs when `f` cannot be changed on `s` (`machine` names it).
    virtual Result<void> check(const ForwardSubject& s, const PortForward& f, const std::string& machine) const = 0;
    // The machine's ports after the change, and what the job reports.
    virtual std::vector<PortForward> changed(std::vector<PortForward> ports, const PortForward& f) const = 0;
    virtual std::string doneMessage(const PortForward& f) const = 0;
};

}  // namespace zenith::core::ops
