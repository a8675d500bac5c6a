// Jobs: one per state change, with progress that never decreases.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace zenith::core {

enum class JobState { Queued, Running, Done, Failed, Cancelled };

std::string_view toString(JobState s);
std::optional<JobState> jobStateFromString(std::string_view s);
inline bool isFinished(JobState s) { return s == JobState::Done || s == JobState::Failed || s == JobState::Cancelled; }

// A copy of a job's state at one moment; what observers and List* get.
struct JobSnapshot {
    uint32_t id = 0;
    std::string operation;        // an operation's name: create, clone, destroy, start, stop, template
    std::string machine;
    JobState state = JobState::Queued;
    double progress = 0.0;
    std::string step;             // machine-readable, e.g. "debootstrap"
    std::string message;          // human text, never a secret
    uint32_t startedByUid = 0;
    bool cancelable = true;
    std::string errorName;        // core::errorCodeName of the failure, "" otherwise
    std::string errorMessage;
    uint64_t startedUsec = 0;     // CLOCK_REALTIME
    uint64_t finishedUsec = 0;

    // "done" | "failed" | "cancelled" for a finished job
    std::string_view result() const { return toString(state); }
};

}  // namespace zenith::core
