// Runs a peer's command (lxc-copy, btrfs, cp ...) from an argv vector with
// posix_spawnp - never through a shell - and reports how it ended.
#pragma once

#include <string>
#include <vector>

namespace zenith::bench {

using Argv = std::vector<std::string>;

struct CommandResult {
    int exitCode = -1;  // -1 when killed by a signal
    int signal = 0;
    bool ok() const { return exitCode == 0; }
};

// stdout and stderr are appended to `logPath` ("" : /dev/null), so a
// failing peer can be diagnosed without its chatter disturbing the timing.
CommandResult runCommand(const Argv& argv, const std::string& logPath = "");

// Throws std::runtime_error naming the command when it does not exit 0.
void runChecked(const Argv& argv, const std::string& logPath = "");

std::string renderArgv(const Argv& argv);

}  // namespace zenith::bench
