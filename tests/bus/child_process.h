// Running clients as the test users: programs (zenithctl, busctl, python3)
// through fork/exec with an argv vector, and in-process libclient/sd-bus code
// in a forked child that dropped to the user's credentials before it
// connected, so the daemon and polkit see that uid.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sandbox_env.h"

namespace zenith::bustest {

struct ProgramResult {
    int exitCode = -1;  // -1 when it died by a signal or timed out
    bool timedOut = false;
    std::string out, err;
};

// `input`, when given, is the program's stdin (then EOF); otherwise /dev/null.
ProgramResult runProgram(const std::vector<std::string>& argv, const TestUser& as,
                         std::chrono::seconds timeout = std::chrono::seconds(120),
                         const std::optional<std::string>& input = std::nullopt);

// Runs `body` in a child process as `as` and returns the string it returned
// (or "child failed: ..." when it threw, crashed or timed out). Keep
// assertions in the parent: the child only reports.
std::string runAs(const TestUser& as, const std::function<std::string()>& body,
                  std::chrono::seconds timeout = std::chrono::seconds(300));

// A program that keeps running while the test acts (a signal watcher):
// read its stdout line by line, then wait for it. Killed if still running
// when destroyed.
class BackgroundProgram {
public:
    BackgroundProgram(const std::vector<std::string>& argv, const TestUser& as);
    ~BackgroundProgram();
    BackgroundProgram(const BackgroundProgram&) = delete;
    BackgroundProgram& operator=(const BackgroundProgram&) = delete;

    // The next stdout line, or nullopt on EOF or timeout.
    std::optional<std::string> readLine(std::chrono::milliseconds timeout);
    // Exit code after waiting up to `timeout` (then killed: -1).
    int wait(std::chrono::seconds timeout);
    std::string stderrText();

private:
    pid_t pid_ = -1;
    int out_ = -1, err_ = -1;
    std::string outBuffer_, errText_;
};

}  // namespace zenith::bustest
