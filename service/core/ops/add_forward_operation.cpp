// add-forward: a host port forwarded to a port of an existing machine (its
// IPv4 address), in place when the job is done. Checked as a create's ports
// are: the backend's rules (ipv4 needed, HostPorts=, the host's own
// listeners); that no other machine forwards the host port is checked at
// submit (publishesPorts).
#include <algorithm>

#include <fmt/format.h>

#include "core/ops/forward_steps.h"
#include "core/ops/operation_table.h"

namespace zenith::core::ops {

namespace {

class AddForwardOperation final : public ForwardOperation {
public:
    std::string_view name() const override { return "add-forward"; }
    bool publishesPorts() const override { return true; }

    std::string plan(const Request& req, const drivers::Driver&) const override
    {
        const auto& f = req.spec.ports->front();
        return fmt::format("would forward host port {}/{} to port {} of machine '{}'", f.hostPort, f.proto,
                           f.machinePort, req.machine);
    }

protected:
    bool withMachinePort() const override { return true; }

    Result<void> check(const ForwardSubject& s, const PortForward& f, const std::string& machine) const override
    {
        if (hasHostPort(s.spec, f))
            return fail(ErrorCode::InvalidArgs,
                        fmt::format("ports: {} forwards host port {}/{} already", machine, f.hostPort, f.proto));
        MachineSpec with = s.spec;
        with.ports = changed(s.spec.ports.value_or(std::vector<PortForward>{}), f);
        return s.subject.driver->validate(with);
    }

    std::vector<PortForward> changed(std::vector<PortForward> ports, const PortForward& f) const override
    {
        if (!std::ranges::any_of(ports, [&](const PortForward& p) { return p.proto == f.proto && p.hostPort == f.hostPort; }))
            ports.push_back(f);
        return ports;
    }

    std::string doneMessage(const PortForward& f) const override
    {
        return fmt::format("host port {}/{} forwarded to port {}", f.hostPort, f.proto, f.machinePort);
    }
};

}  // namespace

const Operation& addForwardOperation()
{
    static const AddForwardOperation op;
    return op;
}

}  // namespace zenith::core::ops
