#include "core/log.h"

#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <vector>

#include <systemd/sd-journal.h>

#include "core/text_quote.h"

namespace zenith::log {

namespace {

constexpr std::string_view kIdentifier = "zenith-provisionerd";
constexpr const char* kJournalSocket = "/run/systemd/journal/socket";
// A machine name is at most 63 bytes; anything longer came from a caller.
constexpr size_t kMaxFieldBytes = 128;

std::atomic<bool> gDebug{false};
std::atomic<bool> gStderrOnly{false};
std::mutex gStderrMutex;

int priorityOf(Level level)
{
    switch (level) {
    case Level::Debug: return LOG_DEBUG;
    case Level::Info: return LOG_INFO;
    case Level::Warning: return LOG_WARNING;
    case Level::Error: return LOG_ERR;
    }
    return LOG_INFO;
}

std::string_view nameOf(Level level)
{
    switch (level) {
    case Level::Debug: return "debug";
    case Level::Info: return "info";
    case Level::Warning: return "warning";
    case Level::Error: return "error";
    }
    return "info";
}

bool journalAvailable()
{
    return ::access(kJournalSocket, W_OK) == 0;
}

bool sendToJournal(Level level, const Context& ctx, std::string_view message)
{
    std::vector<std::string> fields;
    fields.reserve(6);
    // The journal takes any bytes, but journalctl shows invalid UTF-8 as a
    // blob and a caller-sized message would fill it.
    fields.push_back(fmt::format("MESSAGE={}", core::toValidUtf8(message)));
    fields.push_back(fmt::format("PRIORITY={}", priorityOf(level)));
    fields.push_back(fmt::format("SYSLOG_IDENTIFIER={}", kIdentifier));
    if (ctx.uid)
        fields.push_back(fmt::format("ZENITH_UID={}", *ctx.uid));
    if (!ctx.machine.empty())
        fields.push_back(fmt::format("ZENITH_MACHINE={}", core::toSingleLine(ctx.machine, kMaxFieldBytes)));
    if (ctx.job)
        fields.push_back(fmt::format("ZENITH_JOB={}", *ctx.job));
    std::vector<iovec> iov;
    iov.reserve(fields.size());
    for (auto& f : fields)
        iov.push_back({f.data(), f.size()});
    return sd_journal_sendv(iov.data(), static_cast<int>(iov.size())) >= 0;
}

void writeToStderr(Level level, const Context& ctx, std::string_view message)
{
    // One line per message, whatever the message holds: a newline inside it
    // would let a caller-supplied value forge a second log line.
    std::string line = fmt::format("{}[{}]: {}: {}", kIdentifier, ::getpid(), nameOf(level),
                                   core::toSingleLine(message, core::kMaxMessageBytes));
    std::string fields;
    if (ctx.uid)
        fields += fmt::format("uid={}", *ctx.uid);
    if (!ctx.machine.empty()) {
        fields += fields.empty() ? "machine=" : " machine=";
        fields += core::toSingleLine(ctx.machine, kMaxFieldBytes);
    }
    if (ctx.job)
        fields += fmt::format("{}job={}", fields.empty() ? "" : " ", *ctx.job);
    if (!fields.empty())
        line += fmt::format(" ({})", fields);
    line += '\n';
    std::lock_guard lock(gStderrMutex);
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}

}  // namespace

void setDebug(bool enabled) { gDebug.store(enabled, std::memory_order_relaxed); }
bool debugEnabled() { return gDebug.load(std::memory_order_relaxed); }
void setStderrOnly(bool enabled) { gStderrOnly.store(enabled, std::memory_order_relaxed); }

void write(Level level, const Context& ctx, std::string_view message)
{
    if (level == Level::Debug && !debugEnabled())
        return;
    // The journal can appear or vanish (journald restarts), so look each time;
    // an access() is cheap next to the work being logged.
    if (!gStderrOnly.load(std::memory_order_relaxed) && journalAvailable() && sendToJournal(level, ctx, message))
        return;
    writeToStderr(level, ctx, message);
}

}  // namespace zenith::log
