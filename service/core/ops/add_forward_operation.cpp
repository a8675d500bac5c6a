// add-forward: a host port forwarded to a port of an existing machine (its
// IPv4 address), in place when the job is done. Checked as a create's ports
// are: the backend's rules (ipv4 needed, HostPorts=, the host's own
// listeners), and no other machine may forward that host port already.
#include <fmt/format.h>

#include "core/ops/forward_steps.h"
#include "core/ops/operation_table.h"
#include "core/ops/subject_operation.h"

namespace zenith::core::ops {

namespace {

class AddForwardOperation final : public SubjectOperation {
public:
    std::string_view name() const override { return "add-forward"; }
    std::string_view action() const override { return "configure"; }
    OperationEffect effect() const override { return OperationEffect::Changes; }
    bool publishesPorts() const override { return true; }
    bool changesForwards() const override { return true; }
    uint64_t allowedFlags() const override { return kFlagDryRun; }

    Result<Request> prepare(const OperationInput& in, const OperationEnv& env) const override
    {
        auto req = SubjectOperation::prepare(in, env);
        if (!req)
            return req;
        auto f = forwardOf(in.spec, true);
        if (!f)
            return std::unexpected(f.error());
        auto s = forwardSubject(env, in.machine);
        if (!s)
            return std::unexpected(s.error());
        if (hasHostPort(s->spec, *f))
            return fail(ErrorCode::InvalidArgs, fmt::format("ports: {} forwards host port {}/{} already",
                                                            in.machine, f->hostPort, f->proto));
        MachineSpec with = s->spec;
        auto ports = with.ports.value_or(std::vector<PortForward>{});
        ports.push_back(*f);
        with.ports = std::move(ports);
        if (auto r = s->subject.driver->validate(with); !r)
            return std::unexpected(r.error());
        // The request carries the new forward only: its host port is the
        // polkit detail, the lock and what submit checks.
        req->spec.ports = std::vector<PortForward>{*f};
        req->hostPorts = {f->hostPort};
        req->locks.push_back({fmt::format("hostport:{}/{}", f->proto, f->hostPort), LockMode::Exclusive,
                              fmt::format("host port {}/{}", f->hostPort, f->proto)});
        return req;
    }

    std::string plan(const Request& req, const drivers::Driver&) const override
    {
        const auto& f = req.spec.ports->front();
        return fmt::format("would forward host port {}/{} to port {} of machine '{}'", f.hostPort, f.proto,
                           f.machinePort, req.machine);
    }

    Result<void> run(OperationRun& run) const override
    {
        auto subject = SubjectOperation::subject(run);
        if (!subject)
            return std::unexpected(subject.error());
        auto spec = specFromJson(subject->specJson.empty() ? "{}" : subject->specJson, run.driver().specKeys());
        if (!spec)
            return std::unexpected(spec.error());
        const PortForward& f = run.request().spec.ports->front();
        auto ports = spec->ports.value_or(std::vector<PortForward>{});
        if (!hasHostPort(*spec, f))
            ports.push_back(f);
        spec->ports = std::move(ports);
        run.setSpec(*spec);
        run.job().progress(1.0, "forward",
                           fmt::format("host port {}/{} forwarded to port {}", f.hostPort, f.proto, f.machinePort));
        return {};
    }
};

}  // namespace

const Operation& addForwardOperation()
{
    static const AddForwardOperation op;
    return op;
}

}  // namespace zenith::core::ops
