#include "core/log.h"

#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <vector>

#include <systemd/sd-journal.h>

namespace zenith::log {

namespace {

constexpr std::string_view kIdentifier = "zenith-provisionerd";
constexpr const char* kJournalSocket = "/run/systemd/journal/socket";

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
    fields.push_back(fmt::format("MESSAGE={}", message));
    fields.push_back(fmt::format("PRIORITY={}", priorityOf(level)));
    fields.push_back(fmt::format("SYSLOG_IDENTIFIER={}", kIdentifier));
    if (ctx.uid)
        fields.push_back(fmt::format("ZENITH_UID={}", *ctx.uid));
    if (!ctx.machine.empty())
        fields.push_back(fmt::format("ZENITH_MACHINE={}", ctx.machine));
    if (ctx.job)
        fields.push_back(fmt::format("ZENITH_JOB={}", *ctx.job));
    std::vector<iovec> iov;
    iov.reserve(fields.size());
    for (auto& f : fields)
        iov.push_back({f.data(), f.size()});
    return sd_journal_sendv(iov.data(), static_cast<int>(iov.size())) >= 0;
}

// One line per message, whatever the message holds: a newline inside it
// would let a caller-supplied value forge a second log line.
void appendEscaped(std::string& out, std::string_view text)
{
    for (unsigned char c : text) {
        if (c == '\n')
            out += "\\n";
        else if (c < 0x20 || c == 0x7f)
            out += fmt::format("\\x{:02x}", c);
        else
            out += static_cast<char>(c);
    }
}

void writeToStderr(Level level, const Context& ctx, std::string_view message)
{
    std::string line = fmt::format("{}[{}]: {}: ", kIdentifier, ::getpid(), nameOf(level));
    appendEscaped(line, message);
    std::string fields;
    if (ctx.uid)
        fields += fmt::format("uid={}", *ctx.uid);
    if (!ctx.machine.empty()) {
        fields += fields.empty() ? "machine=" : " machine=";
        appendEscaped(fields, ctx.machine);
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
