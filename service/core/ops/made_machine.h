// What create and clone do once the driver made (or failed to make) the
// machine.
#pragma once

#include "core/ops/operation.h"

namespace zenith::core::ops {

// The machine the job makes, as the engine registered it (its number).
drivers::NewMachine newMachineOf(const OperationRun& run);

// Records the facts and the state (running when started); a cancel that
// arrived just as the driver finished is honoured by destroying what it made.
Result<void> adoptMadeMachine(OperationRun& run, const Result<drivers::MachineFacts>& facts, bool started);

// The driver's crash-style rollback of the half-made subject.
void rollbackMadeMachine(OperationRun& run);

}  // namespace zenith::core::ops
