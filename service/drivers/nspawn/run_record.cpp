#include "drivers/nspawn/run_record.h"

#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <filesystem>
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

bool isNspawnFor(std::string_view cmdline, const std::string& name, const std::string& rootfs)
{
    bool nspawn = false, machine = false, directory = false;
    const std::string wantMachine = "--machine=" + name, wantDirectory = "--directory=" + rootfs;
    size_t index = 0;
    while (!cmdline.empty()) {
        auto end = cmdline.find('\0');
        std::string_view arg = cmdline.substr(0, end);
        if (index == 0)
            nspawn = arg == "systemd-nspawn" || arg.ends_with("/systemd-nspawn");
        machine = machine || arg == wantMachine;
        directory = directory || arg == wantDirectory;
        if (end == std::string_view::npos)
            break;
        cmdline.remove_prefix(end + 1);
        ++index;
    }
    return nspawn && machine && directory;
}

std::string nspawnBinary()
{
    const char* path = std::getenv("PATH");
    std::string_view dirs = path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    while (true) {
        auto colon = dirs.find(':');
        std::filesystem::path candidate = std::filesystem::path(dirs.substr(0, colon)) / "systemd-nspawn";
        if (::access(candidate.c_str(), X_OK) == 0) {
            std::error_code ec;
            auto canonical = std::filesystem::canonical(candidate, ec);
            return ec ? candidate.string() : canonical.string();
        }
        if (colon == std::string_view::npos)
            return {};
        dirs.remove_prefix(colon + 1);
    }
}

bool isOurNspawn(pid_t pid, const std::string& binary)
{
    if (binary.empty())
        return false;
    // Real and effective uid, from "Uid:\treal\teffective\tsaved\tfs".
    std::ifstream status(fmt::format("/proc/{}/status", pid));
    bool root = false;
    for (std::string line; std::getline(status, line);)
        if (line.starts_with("Uid:")) {
            std::istringstream ids(line.substr(4));
            long real = -1, effective = -1;
            root = (ids >> real >> effective) && real == 0 && effective == 0;
            break;
        }
    if (!root)
        return false;
    const std::string exe = fmt::format("/proc/{}/exe", pid);
    struct stat running {}, expected {};
    if (::stat(exe.c_str(), &running) == 0 && ::stat(binary.c_str(), &expected) == 0 &&
        running.st_dev == expected.st_dev && running.st_ino == expected.st_ino)
        return true;
    // An upgrade replaced the binary under a machine that kept running.
    std::error_code ec;
    const auto target = std::filesystem::read_symlink(exe, ec).string();
    return !ec && (target == binary || target == binary + " (deleted)");
}

std::optional<RunRecord> findNspawnFor(const std::string& name, const std::string& rootfs)
{
    const std::string binary = nspawnBinary();
    std::error_code ec;
    for (std::filesystem::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
        const std::string pidText = it->path().filename().string();
        pid_t pid = 0;
        auto [ptr, err] = std::from_chars(pidText.data(), pidText.data() + pidText.size(), pid);
        if (err != std::errc() || ptr != pidText.data() + pidText.size())
            continue;
        std::ifstream f(it->path() / "cmdline");
        std::stringstream text;
        text << f.rdbuf();
        if (!isNspawnFor(text.str(), name, rootfs) || !isOurNspawn(pid, binary))
            continue;
        if (auto start = processStartTime(pid))
            return RunRecord{pid, *start};
    }
    return std::nullopt;
}

}  // namespace zenith::drivers::nspawn
