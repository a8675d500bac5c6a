// stop: shut a machine down (FORCE: without waiting for it to stop cleanly).
#include "core/flags.h"
#include "core/ops/operation_table.h"
#include "core/ops/subject_operation.h"

namespace zenith::core::ops {

namespace {

class StopOperation final : public SubjectOperation {
public:
    std::string_view name() const override { return "stop"; }
    std::string_view action() const override { return "power"; }
    OperationEffect effect() const override { return OperationEffect::Changes; }
    std::optional<MachineState> transitional() const override { return MachineState::Stopping; }

    Result<void> run(OperationRun& run) const override
    {
        auto subject = SubjectOperation::subject(run);
        if (!subject)
            return std::unexpected(subject.error());
        if (auto r = run.driver().stop(*subject, run.request().flags & kFlagForce, run.job()); !r)
            return r;
        run.setState(MachineState::Stopped);
        return {};
    }
};

}  // namespace

const Operation& stopOperation()
{
    static const StopOperation op;
    return op;
}

}  // namespace zenith::core::ops
