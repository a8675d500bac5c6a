#include "core/ops/operation_table.h"

#include <array>
#include <functional>

#include <fmt/format.h>

namespace zenith::core {

namespace {

const auto& table()
{
    static const std::array<std::reference_wrapper<const Operation>, 9> ops{
        ops::createOperation(),     ops::cloneOperation(),         ops::destroyOperation(),
        ops::startOperation(),      ops::stopOperation(),          ops::templateOperation(),
        ops::backupOperation(),     ops::addForwardOperation(),    ops::removeForwardOperation(),
    };
    return ops;
}

}  // namespace

const Operation* findOperation(std::string_view name)
{
    for (const Operation& op : table())
        if (op.name() == name)
            return &op;
    return nullptr;
}

Result<void> Operation::admit(const Request&, const MachineRecord*) const
{
    return {};
}

std::string Operation::plan(const Request& request, const drivers::Driver&) const
{
    return fmt::format("would {} machine '{}' ({})", name(), request.machine, request.backend);
}

void Operation::rollback(OperationRun&) const {}

std::string_view Request::operationName() const
{
    return operation ? operation->name() : std::string_view("unknown");
}

std::string_view Request::actionVerb() const
{
    return operation ? operation->action() : std::string_view("create");
}

}  // namespace zenith::core
