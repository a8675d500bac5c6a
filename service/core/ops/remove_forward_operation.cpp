// remove-forward: a machine's forward of a host port ends; the port is gone
// from the host's table when the job is done.
#include <fmt/format.h>

#include "core/ops/forward_steps.h"
#include "core/ops/operation_table.h"

namespace zenith::core::ops {

namespace {

class RemoveForwardOperation final : public ForwardOperation {
public:
    std::string_view name() const override { return "remove-forward"; }

    std::string plan(const Request& req, const drivers::Driver&) const override
    {
        const auto& f = req.spec.ports->front();
        return fmt::format("would stop forwarding host port {}/{} to machine '{}'", f.hostPort, f.proto,
                           req.machine);
    }

protected:
    bool withMachinePort() const override { return false; }

    Result<void> check(const ForwardSubject& s, const PortForward& f, const std::string& machine) const override
    {
        if (!hasHostPort(s.spec, f))
            return fail(ErrorCode::InvalidArgs,
                        fmt::format("ports: {} forwards no host port {}/{}", machine, f.hostPort, f.proto));
        return {};
    }

    std::vector<PortForward> changed(std::vector<PortForward> ports, const PortForward& f) const override
    {
        std::erase_if(ports, [&](const PortForward& p) { return p.proto == f.proto && p.hostPort == f.hostPort; });
        return ports;
    }

    std::string doneMessage(const PortForward& f) const override
    {
        return fmt::format("host port {}/{} no longer forwarded", f.hostPort, f.proto);
    }
};

}  // namespace

const Operation& removeForwardOperation()
{
    static const RemoveForwardOperation op;
    return op;
}

}  // namespace zenith::core::ops
