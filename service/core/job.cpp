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
std::optional<JobState> jobStateFromString(std::string_view s) { return valueOf(kJobStates, s); }

}  // namespace zenith::core
