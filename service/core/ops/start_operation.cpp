// start: boot a stopped machine.
#include "core/ops/operation_table.h"
#include "core/ops/subject_operation.h"

namespace zenith::core::ops {

namespace {

class StartOperation final : public SubjectOperation {
public:
    std::string_view name() const override { return "start"; }
    std::string_view action() const override { return "power"; }
    OperationEffect effect() const override { return OperationEffect::Changes; }
    std::optional<MachineState> transitional() const override { return MachineState::Starting; }

    Result<void> run(OperationRun& run) const override
    {
        auto subject = SubjectOperation::subject(run);
        if (!subject)
            return std::unexpected(subject.error());
        if (auto r = run.driver().start(*subject, run.job()); !r)
            return r;
        run.setState(MachineState::Running);
        return {};
    }
};

}  // namespace

const Operation& startOperation()
{
    static const StartOperation op;
    return op;
}

}  // namespace zenith::core::ops
