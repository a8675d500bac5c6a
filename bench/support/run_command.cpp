#include "support/run_command.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

extern char** environ;

namespace zenith::bench {

std::string renderArgv(const Argv& argv)
{
    std::string out;
    for (const auto& a : argv)
        out += (out.empty() ? "" : " ") + a;
    return out;
}

CommandResult runCommand(const Argv& argv, const std::string& logPath)
{
    int out = logPath.empty() ? ::open("/dev/null", O_WRONLY | O_CLOEXEC)
                              : ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (out < 0)
        throw std::runtime_error(fmt::format("cannot open {}: {}", logPath.empty() ? "/dev/null" : logPath,
                                             std::strerror(errno)));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out, 1);
    posix_spawn_file_actions_adddup2(&actions, out, 2);

    std::vector<char*> cargv;
    for (const auto& a : argv)
        cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);

    pid_t pid = 0;
    int err = ::posix_spawnp(&pid, cargv[0], &actions, nullptr, cargv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out);
    if (err != 0)
        throw std::runtime_error(fmt::format("cannot run {}: {}", argv.front(), std::strerror(err)));

    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            throw std::runtime_error(fmt::format("waitpid {}: {}", argv.front(), std::strerror(errno)));
    }
    CommandResult r;
    if (WIFEXITED(status))
        r.exitCode = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        r.signal = WTERMSIG(status);
    return r;
}

void runChecked(const Argv& argv, const std::string& logPath)
{
    auto r = runCommand(argv, logPath);
    if (!r.ok())
        throw std::runtime_error(fmt::format("`{}` failed ({}){}", renderArgv(argv),
                                             r.signal ? fmt::format("signal {}", r.signal)
                                                      : fmt::format("exit {}", r.exitCode),
                                             logPath.empty() ? "" : "; see " + logPath));
}

}  // namespace zenith::bench
