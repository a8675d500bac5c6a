#include "core/ops/made_machine.h"

namespace zenith::core::ops {

Result<void> adoptMadeMachine(OperationRun& run, const Result<drivers::MachineFacts>& facts, bool started)
{
    if (!facts)
        return std::unexpected(facts.error());
    if (run.job().cancelRequested()) {
        if (auto made = run.machine(run.request().machine)) {
            made->location = facts->location;
            made->node = facts->node;
            made->vmid = facts->vmid;
            (void)run.driver().destroy(*made, true, run.job());
        }
        return fail(ErrorCode::Cancelled, "cancelled");
    }
    run.adoptFacts(*facts, started ? MachineState::Running : MachineState::Stopped);
    return {};
}

void rollbackMadeMachine(OperationRun& run)
{
    if (auto half = run.machine(run.request().machine))
        run.driver().rollbackPartial(*half);
}

}  // namespace zenith::core::ops
