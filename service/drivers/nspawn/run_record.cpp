#include "drivers/nspawn/run_record.h"

#include <charconv>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace zenith::drivers::nspawn {

std::string formatRunRecord(const RunRecord& r)
{
    return fmt::format("{} {}\n", r.pid, r.startTime);
}

std::optional<RunRecord> parseRunRecord(std::string_view text)
{
    std::istringstream in{std::string(text)};
    long long pid = 0;
    unsigned long long start = 0;
    if (!(in >> pid >> start) || pid <= 1)
        return std::nullopt;
    return RunRecord{static_cast<pid_t>(pid), start};
}

std::optional<uint64_t> startTimeFromStat(std::string_view stat)
{
    auto close = stat.rfind(')');
    if (close == std::string_view::npos)
        return std::nullopt;
    std::istringstream in{std::string(stat.substr(close + 1))};
    std::string field;
    // After "pid (comm)" come fields 3..; starttime is field 22.
    for (int i = 3; i <= 22; ++i)
        if (!(in >> field))
            return std::nullopt;
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
    if (ec != std::errc() || p != field.data() + field.size())
        return std::nullopt;
    return v;
}

std::optional<uint64_t> processStartTime(pid_t pid)
{
    std::ifstream f(fmt::format("/proc/{}/stat", pid));
    std::string line;
    if (!f || !std::getline(f, line))
        return std::nullopt;
    // A zombie has exited; it only waits for its parent to reap it.
    if (auto close = line.rfind(") "); close != std::string::npos && close + 2 < line.size() &&
                                       (line[close + 2] == 'Z' || line[close + 2] == 'X'))
        return std::nullopt;
    return startTimeFromStat(line);
}

bool isAlive(const RunRecord& r)
{
    auto st = processStartTime(r.pid);
    return st && *st == r.startTime;
}

}  // namespace zenith::drivers::nspawn
