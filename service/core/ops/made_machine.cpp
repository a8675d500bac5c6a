#include "core/ops/made_machine.h"

#include <fmt/format.h>

namespace zenith::core::ops {

drivers::NewMachine newMachineOf(const OperationRun& run)
{
    const std::string& name = run.request().machine;
    auto made = run.machine(name);
    return {name, made ? made->number : 0};
}

Result<void> adoptMadeMachine(OperationRun& run, const Result<drivers::MachineFacts>& facts, bool started)
{
    if (!facts)
        return std::unexpected(facts.error());
    if (run.job().cancelRequested()) {
        if (auto made = run.machine(run.request().machine)) {
            made->location = facts->location;
            made->node = facts->node;
            made->vmid = facts->vmid;
            made->bridge = facts->bridge;
            made->hostLink = facts->hostLink;
            if (auto undone = run.driver().destroy(*made, true, run.job()); !undone) {
                // It exists and may run: keep it listed (failed) with its
                // address, so nobody else gets that address meanwhile.
                run.adoptFacts(*facts, MachineState::Failed);
                run.keepMadeMachine();
                return fail(ErrorCode::BackendFailed,
                            fmt::format("cancelled, but removing what was made failed ({}); the machine is kept as "
                                        "failed: destroy it",
                                        undone.error().message));
            }
        }
        return fail(ErrorCode::Cancelled, "cancelled");
    }
    run.adoptFacts(*facts, facts->state.value_or(started ? MachineState::Running : MachineState::Stopped));
    return {};
}

void rollbackMadeMachine(OperationRun& run)
{
    if (auto half = run.machine(run.request().machine))
        run.driver().rollbackPartial(*half);
}

}  // namespace zenith::core::ops
