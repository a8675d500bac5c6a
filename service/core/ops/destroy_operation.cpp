// destroy: remove a machine and everything it holds. A running machine needs
// FORCE.
#include <fmt/format.h>

#include "core/flags.h"
#include "core/ops/operation_table.h"
#include "core/ops/subject_operation.h"

namespace zenith::core::ops {

namespace {

class DestroyOperation final : public SubjectOperation {
public:
    std::string_view name() const override { return "destroy"; }
    std::string_view action() const override { return "destroy"; }
    OperationEffect effect() const override { return OperationEffect::Removes; }
    std::optional<MachineState> transitional() const override { return MachineState::Destroying; }

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
        return run.driver().destroy(*subject, run.request().flags & kFlagForce, run.job());
    }
};

}  // namespace

const Operation& destroyOperation()
{
    static const DestroyOperation op;
    return op;
}

}  // namespace zenith::core::ops
