// Structured logging: to the journal (sd_journal_send, with fields
// ZENITH_UID, ZENITH_MACHINE, ZENITH_JOB) when /run/systemd/journal/socket
// exists, else one line on stderr naming the same fields. Never pass secrets.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace zenith::log {

enum class Level { Debug, Info, Warning, Error };

struct Context {
    std::optional<uint32_t> uid;
    std::string machine;
    std::optional<uint32_t> job;
};

void setDebug(bool enabled);
bool debugEnabled();
// Write to stderr even when a journal is there (foreground runs, tests).
void setStderrOnly(bool enabled);
void write(Level level, const Context& ctx, std::string_view message);

template <typename... A>
void debug(const Context& c, fmt::format_string<A...> f, A&&... a)
{
    if (debugEnabled())
        write(Level::Debug, c, fmt::format(f, std::forward<A>(a)...));
}
template <typename... A>
void info(const Context& c, fmt::format_string<A...> f, A&&... a)
{
    write(Level::Info, c, fmt::format(f, std::forward<A>(a)...));
}
template <typename... A>
void warning(const Context& c, fmt::format_string<A...> f, A&&... a)
{
    write(Level::Warning, c, fmt::format(f, std::forward<A>(a)...));
}
template <typename... A>
void error(const Context& c, fmt::format_string<A...> f, A&&... a)
{
    write(Level::Error, c, fmt::format(f, std::forward<A>(a)...));
}

}  // namespace zenith::log
