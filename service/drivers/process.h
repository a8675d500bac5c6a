// Running external programs. Always from an argv vector, exec'd directly: no
// shell ever parses our arguments, so a machine name or a mirror URL can
// never become a command. Children get /dev/null on stdin, only the fds we
// hand them, their own process group (or session), default signals and the
// usual umask 022 (the daemon's own is 0077 under its unit, but debootstrap
// and systemd-nspawn make files a container's unprivileged services read).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace zenith::drivers {

using Argv = std::vector<std::string>;
using LineCallback = std::function<void(std::string_view line)>;

// One line for logs and error messages: arguments with spaces or quotes are
// single-quoted. Never pass it argv holding a secret (builders take none).
std::string renderArgv(const Argv& argv);

struct SpawnOptions {
    Argv argv;                                   // argv[0] is looked up in PATH when it has no '/'
    std::optional<std::vector<std::string>> env; // "K=V" entries; nullopt inherits ours
    bool newSession = false;  // setsid(): survives us and our process group (supervised containers)
    int stdinFd = -1;         // -1: /dev/null
    int stdoutFd = -1;        // -1: /dev/null
    int stderrFd = -1;        // -1: /dev/null
    int fd3 = -1;             // becomes the child's fd 3 when >= 0
    // cgroup.procs files the child moves itself into before it execs, so
    // that it starts inside them (a machine's cgroups: its limits, and the
    // delegated subtree its systemd needs in a user namespace).
    std::vector<std::string> cgroupProcs;
    mode_t umask = 022;
};

// Starts the child and returns its pid; the caller must reap it.
core::Result<pid_t> spawnProcess(const SpawnOptions& options);

struct RunOptions {
    Argv argv;
    std::optional<std::vector<std::string>> env;
    LineCallback onStdout;   // each complete line (without '\n'); null: discarded
    LineCallback onStderr;
    // Non-null: the child gets a pipe on fd 3 and its lines arrive here
    // (debootstrap --debian-installer writes its progress protocol there).
    LineCallback onFd3;
    // After cancel: SIGTERM to the group, SIGKILL when it has not exited after this.
    std::chrono::milliseconds killGrace{5000};
};

struct ExitStatus {
    int code = -1;        // exit code when exited normally, else -1
    int signal = 0;       // terminating signal, 0 when exited normally
    bool cancelled = false;

    bool success() const { return code == 0 && signal == 0 && !cancelled; }
    std::string describe() const;  // "exit code 1", "killed by signal 9", "cancelled"
};

// Runs to completion (or cancel), always reaping the child. Errors only when
// the program could not be started at all.
core::Result<ExitStatus> runProcess(const RunOptions& options, std::stop_token cancel = {});

// pidfd_open(2): an fd that polls readable when `pid` exits, -1 on error.
// (Debian 12's <sys/pidfd.h> lacks extern "C", so the raw syscall is used.)
int openPidfd(pid_t pid);

// Splits a byte stream into lines for a LineCallback.
class LineSplitter {
public:
    explicit LineSplitter(LineCallback callback) : callback_(std::move(callback)) {}
    void feed(std::string_view bytes);
    void finish();  // delivers a last line without '\n'

private:
    LineCallback callback_;
    std::string pending_;
};

}  // namespace zenith::drivers
