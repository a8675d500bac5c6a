// destroy: remove a machine and everything it holds. A running machine needs
// FORCE.
#include <fmt/format.h>

#include "core/flags.h"
#include "core/ops/operation_table.h"
#include "core/ops/subject_operation.h"
#include "drivers/scaled_job.h"

namespace zenith::core::ops {

namespace {

class DestroyOperation final : public SubjectOperation {
public:
    std::string_view name() const override { return "destroy"; }
    std::string_view action() const override { return "destroy"; }
    OperationEffect effect() const override { return OperationEffect::Removes; }
    std::optional<MachineState> transitional() const override { return MachineState::Destroying; }
    uint64_t allowedFlags() const override { return kFlagsKnown | kFlagBackupFirst; }

    Result<Request> prepare(const OperationInput& in, const OperationEnv& env) const override
    {
        auto req = SubjectOperation::prepare(in, env);
        if (req && (req->flags & kFlagBackupFirst)) {
            drivers::Driver* d = env.driver(req->backend);
            if (!d || !d->backupCapability())
                return drivers::notOnThisBackend(req->backend, "a backup before destroy (BACKUP_FIRST) is");
        }
        return req;
    }

    Result<void> admit(const Request& req, const MachineRecord* subject) const override
    {
        if (subject && !(req.flags & kFlagForce) &&
            (subject->state == MachineState::Running || subject->state == MachineState::Starting))
            return fail(ErrorCode::Busy,
                        fmt::format("machine '{}' is running; stop it first or destroy with FORCE", req.machine));
        return {};
    }

    Result<void> run(OperationRun& run) const override
    {
        auto subject = SubjectOperation::subject(run);
        if (!subject)
            return std::unexpected(subject.error());
        const bool force = run.request().flags & kFlagForce;
        if (!(run.request().flags & kFlagBackupFirst))
            return run.driver().destroy(*subject, force, run.job());
        // The backup first: if it fails, nothing is destroyed.
        drivers::BackupCapability* b = run.driver().backupCapability();
        if (!b)
            return drivers::notOnThisBackend(subject->backend, "backup is");
        drivers::ScaledJob backupPart(run.job(), 0, 0.6), destroyPart(run.job(), 0.6, 1);
        if (auto volid = b->backup(*subject, {}, backupPart); !volid)
            return fail(volid.error().code,
                        fmt::format("the backup before destroy failed, nothing was destroyed: {}",
                                    volid.error().message));
        return run.driver().destroy(*subject, force, destroyPart);
    }
};

}  // namespace

const Operation& destroyOperation()
{
    static const DestroyOperation op;
    return op;
}

}  // namespace zenith::core::ops
