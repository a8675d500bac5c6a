// clone: a new machine copied from an existing one (a golden template), with
// overrides on top of the source's spec.
#include <fmt/format.h>

#include "core/flags.h"
#include "core/inet.h"
#include "core/ops/address_request.h"
#include "core/ops/made_machine.h"
#include "core/ops/operation_table.h"
#include "core/ops/prepare_steps.h"

namespace zenith::core::ops {

namespace {

// Whether the source's stored address (a.b.c.d/len, leased) is one of its
// pool's: then the clone needs an address of its own from that pool.
bool fromPool(const std::string& ipv4, const Ipv4Pool* pool)
{
    auto p = parseIpv4Prefix(ipv4);
    return pool && p && pool->contains(p->address);
}

bool fromPool6(const std::string& ipv6, const Ipv6Pool* pool)
{
    auto p = parseIpv6Prefix(ipv6);
    return pool && p && pool->contains(p->address);
}

class CloneOperation final : public Operation {
public:
    std::string_view name() const override { return "clone"; }
    std::string_view action() const override { return "clone"; }
    OperationEffect effect() const override { return OperationEffect::Makes; }

    Result<Request> prepare(const OperationInput& in, const OperationEnv& env) const override
    {
        if (auto r = checkNameAndFlags(in.source, "source", in.flags); !r)
            return std::unexpected(r.error());
        if (auto r = checkNameAndFlags(in.machine, "new_name", in.flags); !r)
            return std::unexpected(r.error());
        auto src = existingSubject(env, in.source);
        if (!src) {
            // Bad common values are named even when the source is missing
            // (its backend's own keys cannot be judged without it).
            SpecMap common;
            for (const auto& [key, value] : in.spec)
                if (isSpecKey(key))
                    common.emplace(key, value);
            if (auto r = parseSpec(common, env.config().limits); !r)
                return std::unexpected(r.error());
            return std::unexpected(src.error());
        }
        const core::SpecKeyRules keys = src->driver->specKeys();
        auto over = parseSpec(in.spec, src->driver->specLimits(env.config().limits), keys, src->record.backend);
        if (!over)
            return std::unexpected(over.error());
        auto base = specFromJson(src->record.specJson.empty() ? "{}" : src->record.specJson, keys);
        if (!base)
            return std::unexpected(base.error());
        // A guest id is the source's own, never a clone's.
        base->backend.values.erase("vmid");
        // An address from a pool is the source's: unless the overrides give
        // one, the clone gets the next free address of the same pool.
        if (base->pool && !over->ipv4 && !over->backend.has("last_octet") && base->ipv4 &&
            fromPool(*base->ipv4, env.pool(*base->pool)))
            base->ipv4 = "auto";
        if (base->pool && !over->ipv6 && base->ipv6) {
            if (fromPool6(*base->ipv6, env.pool6(*base->pool))) {
                base->ipv6 = "auto";
            } else if (auto p = parseIpv6Prefix(*base->ipv6); const Ipv6Pool* other =
                                                                   p ? poolHolding(env, p->address) : nullptr) {
                // Its IPv4 address came from another pool, which names the
                // spec's one pool: `auto` cannot say which IPv6 pool.
                return fail(ErrorCode::InvalidArgs,
                            fmt::format("ipv6: {}'s address {} is of pool '{}', not of pool '{}' its ipv4 comes "
                                        "from: give the clone an ipv6",
                                        in.source, *base->ipv6, other->name, *base->pool));
            }
        }
        MachineSpec merged = mergeSpec(*base, *over);
        if (auto r = src->driver->validate(merged); !r)
            return std::unexpected(r.error());

        Request req;
        req.operation = this;
        req.machine = in.machine;
        req.source = in.source;
        req.backend = src->record.backend;
        req.flags = in.flags;
        // `template` only when the source is one, so a rule can tell cloning
        // a golden template from copying someone's machine (`source`).
        req.templateName = src->record.state == MachineState::Template ? in.source : std::string();
        req.node = merged.backend.text("node").value_or(src->record.node);
        req.vmid = over->backend.number("vmid").value_or(0);
        setNetworkDetails(req, *src->driver, merged);
        req.spec = std::move(merged);
        req.locks.push_back(machineLock(req.machine));
        // The source is read, not changed: clones of it may run side by
        // side (unless its driver serializes them), but it cannot be
        // destroyed or started meanwhile.
        req.locks.push_back(machineLock(req.source, LockMode::Shared));
        if (auto r = addClaimedLocks(req, *src->driver, env); !r)
            return std::unexpected(r.error());
        return req;
    }

    std::string plan(const Request& req, const drivers::Driver& d) const override
    {
        return fmt::format("clone {} from {}\n", req.machine, req.source) + d.plan(req.machine, req.spec);
    }

    Result<void> run(OperationRun& run) const override
    {
        const Request& req = run.request();
        auto source = run.machine(req.source);
        if (!source)
            return fail(ErrorCode::NoSuchMachine, fmt::format("machine '{}' is gone", req.source));
        const bool start = !(req.flags & kFlagNoStart);
        if (auto r = run.claimAddress(); !r)
            return r;
        auto facts = run.driver().clone(*source, newMachineOf(run), req.spec, start, run.job());
        return adoptMadeMachine(run, facts, start);
    }

    void rollback(OperationRun& run) const override { rollbackMadeMachine(run); }
};

}  // namespace

const Operation& cloneOperation()
{
    static const CloneOperation op;
    return op;
}

}  // namespace zenith::core::ops
