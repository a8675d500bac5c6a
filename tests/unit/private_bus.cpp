#include "private_bus.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

extern char** environ;

namespace zenith::testing {

PrivateBus::PrivateBus()
{
    char dirTemplate[] = "/tmp/zenith-unit-bus-XXXXXX";
    dir_ = mkdtemp(dirTemplate);
    int fds[2];
    if (pipe(fds) != 0)
        throw std::runtime_error("pipe");
    std::string printAddress = "--print-address=" + std::to_string(fds[1]);
    std::string listen = "--address=unix:path=" + dir_ + "/bus";
    const char* argv[] = {"dbus-daemon", "--session", "--nofork", "--nosyslog", printAddress.c_str(),
                          listen.c_str(), nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    // Its "cannot raise fd limit" chatter is noise in an unprivileged run.
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    if (posix_spawnp(&pid_, "dbus-daemon", &actions, nullptr, const_cast<char**>(argv), environ) != 0)
        throw std::runtime_error("cannot start dbus-daemon");
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    char buffer[512];
    ssize_t n = read(fds[0], buffer, sizeof buffer - 1);
    close(fds[0]);
    if (n <= 0)
        throw std::runtime_error("dbus-daemon printed no address");
    address_.assign(buffer, static_cast<size_t>(n));
    while (!address_.empty() && address_.back() == '\n')
        address_.pop_back();
}

PrivateBus::~PrivateBus()
{
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    unlink((dir_ + "/bus").c_str());
    rmdir(dir_.c_str());
}

}  // namespace zenith::testing
