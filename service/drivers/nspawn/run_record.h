// <state-dir>/run/<name>.pid: which process supervises a running machine.
// The pid alone could be reused after a reboot or a long downtime, so the
// process start time (from /proc/PID/stat) is recorded with it and a
// restarted daemon adopts the process only when both match.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace zenith::drivers::nspawn {

struct RunRecord {
    pid_t pid = 0;
    uint64_t startTime = 0;  // clock ticks since boot, field 22 of /proc/PID/stat
    bool operator==(const RunRecord&) const = default;
};

std::string formatRunRecord(const RunRecord& r);              // "PID STARTTIME\n"
std::optional<RunRecord> parseRunRecord(std::string_view text);

// Start time of a live process; nullopt when it does not exist.
std::optional<uint64_t> processStartTime(pid_t pid);
// Field 22 of a /proc/PID/stat line (the command may contain ') ').
std::optional<uint64_t> startTimeFromStat(std::string_view stat);

// True when `r` still describes a live process.
bool isAlive(const RunRecord& r);

// Whether a /proc/PID/cmdline (NUL-separated argv) is systemd-nspawn running
// machine `name` from `rootfs`.
bool isNspawnFor(std::string_view cmdline, const std::string& name, const std::string& rootfs);

// The systemd-nspawn binary the daemon runs (looked up in PATH as
// posix_spawnp does, symlinks resolved); "" when there is none.
std::string nspawnBinary();

// Whether `pid` is a systemd-nspawn the daemon could have started: it runs
// as root (real and effective uid 0) and its executable is `binary` (the
// same inode, or that path deleted by a package upgrade since it started).
// A process of another user, or root's look-alike from elsewhere, is not:
// adopting it would let its owner stand in for a machine (the daemon would
// report it running and signal it on stop).
bool isOurNspawn(pid_t pid, const std::string& binary = nspawnBinary());

// The systemd-nspawn running `name` from `rootfs`, found by its command
// line: for a machine whose pid file is missing (the daemon died between
// starting it and writing the file), so that nothing is left running. Only
// a process that passes isOurNspawn() counts.
std::optional<RunRecord> findNspawnFor(const std::string& name, const std::string& rootfs);

}  // namespace zenith::drivers::nspawn
