// template: turn a stopped machine into a golden template that clones copy.
#include "core/ops/operation_table.h"
#include "core/ops/subject_operation.h"

namespace zenith::core::ops {

namespace {

class TemplateOperation final : public SubjectOperation {
public:
    std::string_view name() const override { return "template"; }
    std::string_view action() const override { return "template"; }
    OperationEffect effect() const override { return OperationEffect::Changes; }
    // A template never runs: its forwards leave the host's table.
    bool changesForwards() const override { return true; }

    Result<void> run(OperationRun& run) const override
    {
        auto subject = SubjectOperation::subject(run);
        if (!subject)
            return std::unexpected(subject.error());
        if (auto r = run.driver().makeTemplate(*subject, run.job()); !r)
            return r;
        run.setState(MachineState::Template);
        return {};
    }
};

}  // namespace

const Operation& templateOperation()
{
    static const TemplateOperation op;
    return op;
}

}  // namespace zenith::core::ops
