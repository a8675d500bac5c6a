// The shape of operations on an existing machine (start, stop, destroy,
// template, ...): prepare checks the name, the flags and that the machine
// exists, and locks it.
#pragma once

#include "core/ops/operation.h"

namespace zenith::core::ops {

class SubjectOperation : public Operation {
public:
    Result<Request> prepare(const OperationInput& input, const OperationEnv& env) const override;
    // The flags this operation takes (DestroyMachine also BACKUP_FIRST).
    virtual uint64_t allowedFlags() const;

protected:
    // The subject's record as the job starts.
    static Result<MachineRecord> subject(OperationRun& run);
};

}  // namespace zenith::core::ops
