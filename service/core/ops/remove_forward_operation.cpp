// remove-forward: a machine's forward of a host port ends; the port is gone
// from the host's table when the job is done.
#include <fmt/format.h>

#include "core/ops/forward_steps.h"
#include "core/ops/operation_table.h"
#include "core/ops/subject_operation.h"

namespace zenith::core::ops {

namespace {

class RemoveForwardOperation final : public SubjectOperation {
public:
    std::string_view name() const override { return "remove-forward"; }
    std::string_view action() const override { return "configure"; }
    OperationEffect effect() const override { return OperationEffect::Changes; }
    bool changesForwards() const override { return true; }
    uint64_t allowedFlags() const override { return kFlagDryRun; }

    Result<Request> prepare(const OperationInput& in, const OperationEnv& env) const override
    {
        auto req = SubjectOperation::prepare(in, env);
        if (!req)
            return req;
        auto f = forwardOf(in.spec, false);
        if (!f)
            return std::unexpected(f.error());
        auto s = forwardSubject(env, in.machine);
        if (!s)
            return std::unexpected(s.error());
        if (!hasHostPort(s->spec, *f))
            return fail(ErrorCode::InvalidArgs,
                        fmt::format("ports: {} forwards no host port {}/{}", in.machine, f->hostPort, f->proto));
        req->spec.ports = std::vector<PortForward>{*f};
        req->hostPorts = {f->hostPort};
        return req;
    }

    std::string plan(const Request& req, const drivers::Driver&) const override
    {
        const auto& f = req.spec.ports->front();
        return fmt::format("would stop forwarding host port {}/{} to machine '{}'", f.hostPort, f.proto,
                           req.machine);
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
        std::erase_if(ports, [&](const PortForward& p) { return p.proto == f.proto && p.hostPort == f.hostPort; });
        if (ports.empty())
            spec->ports.reset();
        else
            spec->ports = std::move(ports);
        run.setSpec(*spec);
        run.job().progress(1.0, "forward", fmt::format("host port {}/{} no longer forwarded", f.hostPort, f.proto));
        return {};
    }
};

}  // namespace

const Operation& removeForwardOperation()
{
    static const RemoveForwardOperation op;
    return op;
}

}  // namespace zenith::core::ops
