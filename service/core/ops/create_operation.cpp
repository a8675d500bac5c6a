// create: a new machine from a spec on a chosen backend.
#include "core/flags.h"
#include "core/ops/operation_table.h"
#include "core/ops/prepare_steps.h"
#include "core/ops/made_machine.h"
#include "core/text_quote.h"

namespace zenith::core::ops {

namespace {

class CreateOperation final : public Operation {
public:
    std::string_view name() const override { return "create"; }
    std::string_view action() const override { return "create"; }
    OperationEffect effect() const override { return OperationEffect::Makes; }

    Result<Request> prepare(const OperationInput& in, const OperationEnv& env) const override
    {
        if (auto r = checkNameAndFlags(in.machine, "name", in.flags); !r)
            return std::unexpected(r.error());
        auto d = driverFor(env, in.backend);
        if (!d)
            return std::unexpected(d.error());
        auto spec = parseSpec(in.spec, (*d)->specLimits(env.config().limits), (*d)->specKeys(), in.backend);
        if (!spec)
            return std::unexpected(spec.error());
        if (auto r = (*d)->validateCreate(*spec); !r)
            return std::unexpected(r.error());

        Request req;
        req.operation = this;
        req.machine = in.machine;
        req.backend = in.backend;
        req.flags = in.flags;
        req.templateName = spec->templateName.value_or("");
        req.node = spec->backend.text("node").value_or("");
        req.vmid = spec->backend.number("vmid").value_or(0);
        setNetworkDetails(req, **d, *spec);
        req.spec = std::move(*spec);
        req.locks.push_back(machineLock(req.machine));
        if (auto r = addClaimedLocks(req, **d, env); !r)
            return std::unexpected(r.error());
        return req;
    }

    std::string plan(const Request& req, const drivers::Driver& d) const override
    {
        return d.plan(req.machine, req.spec);
    }

    Result<void> run(OperationRun& run) const override
    {
        const Request& req = run.request();
        const bool start = !(req.flags & kFlagNoStart);
        if (auto r = run.claimAddress(); !r)
            return r;
        auto facts = run.driver().create(newMachineOf(run), req.spec, start, run.job());
        return adoptMadeMachine(run, facts, start);
    }

    void rollback(OperationRun& run) const override { rollbackMadeMachine(run); }
};

}  // namespace

const Operation& createOperation()
{
    static const CreateOperation op;
    return op;
}

}  // namespace zenith::core::ops
