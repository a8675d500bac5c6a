#include "drivers/proxmox/client/task_waiter.h"

#include <fmt/format.h>

#include "core/log.h"
#include "core/text_quote.h"
#include "drivers/proxmox/client/task_status.h"

namespace zenith::drivers::proxmox {

namespace {

using core::ErrorCode;

constexpr unsigned kLogLinesPerRead = 500;
constexpr size_t kMaxWarningLines = 10;
constexpr size_t kMaxLineBytes = 300;

std::string taskPath(const Upid& u) { return fmt::format("/nodes/{}/tasks/{}", u.node, percentEncode(u.text)); }

}  // namespace

core::Result<TaskResult> waitForTask(ApiClient& api, const Upid& upid, JobContext& job, const TaskWait& how)
{
    const auto sleep = how.sleep ? how.sleep : std::function(sleepUnlessStopped);
    const std::string path = taskPath(upid);
    const auto deadline = std::chrono::steady_clock::now() + how.timeout;
    TaskResult result;
    unsigned nextLine = 0;  // log lines are numbered from 1; start=N skips N
    double fraction = 0;

    // Reads the log lines not seen yet; each becomes the job's message and,
    // where it prints a percentage, its progress.
    auto readLog = [&]() -> core::Result<void> {
        auto log = api.get(path + "/log", {{"start", std::to_string(nextLine)}, {"limit", std::to_string(kLogLinesPerRead)}});
        if (!log)
            return std::unexpected(log.error());
        if (!log->is_array())
            return {};
        for (const auto& entry : *log) {
            if (!entry.is_object() || !entry.contains("t") || !entry["t"].is_string())
                continue;
            // An empty log reads as one line "no content" numbered 1: it is
            // no line, and the first real one will be number 1 too.
            if (entry["t"].get<std::string>() == "no content")
                continue;
            if (entry.contains("n") && entry["n"].is_number_unsigned())
                nextLine = std::max(nextLine, entry["n"].get<unsigned>());
            else
                ++nextLine;
            const std::string line = core::toSingleLine(entry["t"].get<std::string>(), kMaxLineBytes);
            if (line.empty())
                continue;
            if (auto p = taskLogProgress(line))
                fraction = std::max(fraction, *p);
            if (line.find("WARN") != std::string::npos && result.warningLines.size() < kMaxWarningLines)
                result.warningLines.push_back(line);
            job.progress(how.progressFrom + (how.progressTo - how.progressFrom) * fraction, how.step, line);
        }
        return {};
    };

    for (unsigned poll = 0;; ++poll) {
        if (!sleep(taskPollDelay(poll), job.stopToken()) || job.cancelRequested()) {
            // Ask the node to stop the task; the caller rolls back what it made.
            auto stopped = api.del(path);
            if (!stopped)
                log::warning({}, "stopping task {} after a cancel: {}", upid.text, stopped.error().message);
            return core::fail(ErrorCode::Cancelled, fmt::format("{} cancelled (task {} stopped)", how.step, upid.type));
        }
        auto status = api.get(path + "/status");
        if (!status)
            return std::unexpected(status.error());
        auto s = parseTaskStatus(*status);
        if (!s)
            return std::unexpected(s.error());
        if (auto r = readLog(); !r)
            return std::unexpected(r.error());
        if (!s->running) {
            if (!s->succeeded)
                return core::fail(ErrorCode::BackendFailed,
                                  fmt::format("Proxmox task {} on {} failed: {}", upid.type, upid.node, s->exitStatus));
            result.warnings = s->warnings;
            return result;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            (void)api.del(path);
            return core::fail(ErrorCode::BackendFailed,
                              fmt::format("Proxmox task {} on {} still ran after {} s; it was stopped", upid.type,
                                          upid.node, how.timeout.count()));
        }
    }
}

}  // namespace zenith::drivers::proxmox
