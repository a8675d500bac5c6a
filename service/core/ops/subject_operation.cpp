#include "core/ops/subject_operation.h"

#include "core/flags.h"
#include "core/ops/prepare_steps.h"

namespace zenith::core::ops {

Result<Request> SubjectOperation::prepare(const OperationInput& in, const OperationEnv& env) const
{
    if (auto r = checkNameAndFlags(in.machine, "name", in.flags, allowedFlags()); !r)
        return std::unexpected(r.error());
    auto subject = existingSubject(env, in.machine);
    if (!subject)
        return std::unexpected(subject.error());
    Request req;
    req.operation = this;
    req.machine = in.machine;
    req.backend = subject->record.backend;
    req.flags = in.flags;
    req.node = subject->record.node;
    req.vmid = subject->record.vmid;
    req.locks.push_back(machineLock(req.machine));
    for (auto& l : subject->driver->locksFor(req))
        req.locks.push_back(std::move(l));
    return req;
}

uint64_t SubjectOperation::allowedFlags() const { return kFlagsKnown; }

Result<MachineRecord> SubjectOperation::subject(OperationRun& run)
{
    auto m = run.machine(run.request().machine);
    if (!m)
        return fail(ErrorCode::NoSuchMachine, "the machine is gone");
    return std::move(*m);
}

}  // namespace zenith::core::ops
