// Waiting for a Proxmox task to end, as the job that started it: status
// polled on the node the UPID names (50 ms first, then backing off to 1 s),
// new log lines read as they come and turned into the job's progress and
// messages, a cancel turned into a stop of the task. Bounded: a task that
// runs past `timeout` is stopped and the job fails saying so.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/error.h"
#include "drivers/driver.h"
#include "drivers/proxmox/client/api_client.h"
#include "drivers/proxmox/client/upid.h"

namespace zenith::drivers::proxmox {

struct TaskResult {
    unsigned warnings = 0;               // "WARNINGS: N" (a success)
    std::vector<std::string> warningLines;  // the log lines that say WARN, escaped, at most 10
};

struct TaskWait {
    std::string step;                       // the job step shown meanwhile ("clone")
    double progressFrom = 0, progressTo = 1;  // the slice of the job this task fills
    std::chrono::seconds timeout{3600};
    // Waits between polls (tests replace it); returns false once stopped.
    std::function<bool(std::chrono::milliseconds, std::stop_token)> sleep;
};

// Ok with the warnings when the task ended OK or with WARNINGS; the task's
// exit status as a BackendFailed otherwise; Cancelled after a cancel (the
// task is asked to stop first).
core::Result<TaskResult> waitForTask(ApiClient& api, const Upid& upid, JobContext& job, const TaskWait& how);

}  // namespace zenith::drivers::proxmox
