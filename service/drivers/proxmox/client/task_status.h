// Following a Proxmox task: what its status says, how long to wait before
// asking again, and how far along its log lines say it is.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "core/error.h"

namespace zenith::drivers::proxmox {

struct TaskStatus {
    bool running = true;
    // Once stopped: "OK" and "WARNINGS: N" are successes (every known
    // client treats warnings so); anything else is the error text.
    bool succeeded = false;
    unsigned warnings = 0;
    std::string exitStatus;  // as the server sent it, escaped and cut

    bool operator==(const TaskStatus&) const = default;
};

// The data of GET /nodes/{node}/tasks/{upid}/status. BackendFailed when it
// is not the documented shape.
core::Result<TaskStatus> parseTaskStatus(const nlohmann::json& data);

// Wait before poll number `poll` (0 = the first): 50 ms, then doubling up to
// 1 s and staying there, so a quick task is seen done within about 100 ms
// and a long one costs one request a second.
std::chrono::milliseconds taskPollDelay(unsigned poll);

// The percentage a task log line reports, 0-1: the last "NN%" or "NN.NN%"
// in the line (qmclone: "transferred 1.0 GiB of 32.0 GiB (3.12%)", vzdump:
// "INFO:  45% (1.8 GiB of 4.0 GiB) in 6s, read: ..."); nullopt when none.
std::optional<double> taskLogProgress(std::string_view line);

}  // namespace zenith::drivers::proxmox
