// Validation of requests before authorization: pure, no state changes. Each
// operation's own prepare() (core/ops) does the work.
#include <fmt/format.h>

#include "core/engine_impl.h"
#include "core/text_quote.h"

namespace zenith::core {

Result<Request> Engine::prepare(std::string_view operation, const OperationInput& input) const
{
    const Operation* op = findOperation(operation);
    if (!op)
        return fail(ErrorCode::InvalidArgs, fmt::format("unknown operation {}", quoteForMessage(operation)));
    return op->prepare(input, *impl_);
}

Result<Request> Engine::prepareCreate(const std::string& name, const std::string& backend, const SpecMap& spec,
                                      uint64_t flags) const
{
    return prepare("create", OperationInput{.machine = name, .backend = backend, .spec = spec, .flags = flags});
}

Result<Request> Engine::prepareClone(const std::string& source, const std::string& newName, const SpecMap& overrides,
                                     uint64_t flags) const
{
    return prepare("clone", OperationInput{.machine = newName, .source = source, .spec = overrides, .flags = flags});
}

Result<Request> Engine::prepareSimple(std::string_view operation, const std::string& name, uint64_t flags) const
{
    const Operation* op = findOperation(operation);
    if (op && op->effect() == OperationEffect::Makes)
        return fail(ErrorCode::InvalidArgs, fmt::format("operation '{}' makes a machine: it takes a spec", operation));
    return prepare(operation, OperationInput{.machine = name, .flags = flags});
}

}  // namespace zenith::core
