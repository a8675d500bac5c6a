#include "core/job.h"

#include <array>
#include <utility>

namespace zenith::core {

namespace {
constexpr std::array<std::pair<JobState, std::string_view>, 5> kJobStates{{
    {JobState::Queued, "queued"},
    {JobState::Running, "running"},
    {JobState::Done, "done"},
    {JobState::Failed, "failed"},
    {JobState::Cancelled, "cancelled"},
}};
constexpr std::array<std::pair<Operation, std::string_view>, 6> kOperations{{
    {Operation::Create, "create"},
    {Operation::Clone, "clone"},
    {Operation::Destroy, "destroy"},
    {Operation::Start, "start"},
    {Operation::Stop, "stop"},
    {Operation::Template, "template"},
}};

template <typename E, size_t N>
std::string_view nameOf(const std::array<std::pair<E, std::string_view>, N>& table, E value)
{
    for (const auto& [v, name] : table)
        if (v == value)
            return name;
    return table.front().second;
}

template <typename E, size_t N>
std::optional<E> valueOf(const std::array<std::pair<E, std::string_view>, N>& table, std::string_view s)
{
    for (const auto& [v, name] : table)
        if (name == s)
            return v;
    return std::nullopt;
}
}  // namespace

std::string_view toString(JobState s) { return nameOf(kJobStates, s); }
std::string_view toString(Operation op) { return nameOf(kOperations, op); }
std::optional<JobState> jobStateFromString(std::string_view s) { return valueOf(kJobStates, s); }
std::optional<Operation> operationFromString(std::string_view s) { return valueOf(kOperations, s); }

}  // namespace zenith::core
