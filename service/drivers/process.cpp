#include "drivers/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "drivers/unique_fd.h"

extern char** environ;

namespace zenith::drivers {

namespace {

// Moves fds we hand to a child above the standard range: a dup2 onto the
// same number would keep O_CLOEXEC and the child would lose the fd.
UniqueFd highCopy(int fd)
{
    return UniqueFd(::fcntl(fd, F_DUPFD_CLOEXEC, 10));
}

struct Pipe {
    UniqueFd read, write;
};

core::Result<Pipe> makePipe()
{
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0)
        return core::fail(core::ErrorCode::BackendFailed, fmt::format("pipe: {}", std::strerror(errno)));
    UniqueFd r(p[0]), w(p[1]);
    UniqueFd hr = highCopy(r.get()), hw = highCopy(w.get());
    if (!hr || !hw)
        return core::fail(core::ErrorCode::BackendFailed, fmt::format("fcntl: {}", std::strerror(errno)));
    ::fcntl(hr.get(), F_SETFL, O_NONBLOCK);
    return Pipe{std::move(hr), std::move(hw)};
}

bool needsQuoting(const std::string& s)
{
    if (s.empty())
        return true;
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || std::strchr("-_./=:,+@%", c)))
            return true;
    return false;
}

}  // namespace

int openPidfd(pid_t pid)
{
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

std::string renderArgv(const Argv& argv)
{
    std::string out;
    for (const auto& a : argv) {
        if (!out.empty())
            out += ' ';
        if (!needsQuoting(a)) {
            out += a;
            continue;
        }
        out += '\'';
        for (char c : a) {
            if (c == '\'')
                out += "'\\''";
            else
                out += c;
        }
        out += '\'';
    }
    return out;
}

std::string ExitStatus::describe() const
{
    if (cancelled)
        return "cancelled";
    if (signal != 0)
        return fmt::format("killed by signal {} ({})", signal, ::strsignal(signal));
    return fmt::format("exit code {}", code);
}

void LineSplitter::feed(std::string_view bytes)
{
    pending_.append(bytes);
    size_t start = 0;
    for (size_t nl; (nl = pending_.find('\n', start)) != std::string::npos; start = nl + 1) {
        if (callback_)
            callback_(std::string_view(pending_).substr(start, nl - start));
    }
    pending_.erase(0, start);
}

void LineSplitter::finish()
{
    if (!pending_.empty() && callback_)
        callback_(pending_);
    pending_.clear();
}

core::Result<pid_t> spawnProcess(const SpawnOptions& o)
{
    if (o.argv.empty())
        return core::fail(core::ErrorCode::BackendFailed, "spawn: empty argv");

    UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!devnull)
        return core::fail(core::ErrorCode::BackendFailed, fmt::format("/dev/null: {}", std::strerror(errno)));
    UniqueFd in = highCopy(devnull.get());
    UniqueFd out = highCopy(o.stdoutFd >= 0 ? o.stdoutFd : devnull.get());
    UniqueFd err = highCopy(o.stderrFd >= 0 ? o.stderrFd : devnull.get());
    UniqueFd three = o.fd3 >= 0 ? highCopy(o.fd3) : UniqueFd();
    if (!in || !out || !err || (o.fd3 >= 0 && !three))
        return core::fail(core::ErrorCode::BackendFailed, fmt::format("fcntl: {}", std::strerror(errno)));

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in.get(), 0);
    posix_spawn_file_actions_adddup2(&actions, out.get(), 1);
    posix_spawn_file_actions_adddup2(&actions, err.get(), 2);
    if (three)
        posix_spawn_file_actions_adddup2(&actions, three.get(), 3);
    // Nothing of ours leaks into the child, whatever its O_CLOEXEC state
    // (other threads may open fds without it).
    posix_spawn_file_actions_addclosefrom_np(&actions, three ? 4 : 3);

    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (o.newSession) {
        flags |= POSIX_SPAWN_SETSID;
    } else {
        flags |= POSIX_SPAWN_SETPGROUP;
        posix_spawnattr_setpgroup(&attr, 0);
    }
    posix_spawnattr_setflags(&attr, flags);

    std::vector<char*> argv;
    for (const auto& a : o.argv)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    if (o.env) {
        for (const auto& e : *o.env)
            envp.push_back(const_cast<char*>(e.c_str()));
        envp.push_back(nullptr);
    }

    pid_t pid = -1;
    int rc = ::posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), o.env ? envp.data() : environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0)
        return core::fail(core::ErrorCode::BackendFailed,
                          fmt::format("cannot run {}: {}", o.argv[0], std::strerror(rc)));
    return pid;
}

core::Result<ExitStatus> runProcess(const RunOptions& o, std::stop_token cancel)
{
    auto out = makePipe();
    auto err = makePipe();
    if (!out || !err)
        return std::unexpected(!out ? out.error() : err.error());
    std::optional<Pipe> three;
    if (o.onFd3) {
        auto p = makePipe();
        if (!p)
            return std::unexpected(p.error());
        three = std::move(*p);
    }

    SpawnOptions so;
    so.argv = o.argv;
    so.env = o.env;
    so.stdoutFd = out->write.get();
    so.stderrFd = err->write.get();
    so.fd3 = three ? three->write.get() : -1;
    auto pid = spawnProcess(so);
    out->write.reset();
    err->write.reset();
    if (three)
        three->write.reset();
    if (!pid)
        return std::unexpected(pid.error());

    UniqueFd pidfd(openPidfd(*pid));
    UniqueFd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    std::stop_callback onCancel(cancel, [&] {
        uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(wake.get(), &one, sizeof one);
    });

    struct Stream {
        int fd;
        LineSplitter lines;
    };
    std::vector<Stream> streams;
    streams.push_back({out->read.get(), LineSplitter(o.onStdout)});
    streams.push_back({err->read.get(), LineSplitter(o.onStderr)});
    if (three)
        streams.push_back({three->read.get(), LineSplitter(o.onFd3)});

    using Clock = std::chrono::steady_clock;
    ExitStatus status;
    bool exited = false, killed = false;
    std::optional<Clock::time_point> killAt, drainUntil;
    char buf[8192];

    auto reap = [&] {
        // Whatever the child left in its group dies with it: a cancelled
        // debootstrap must not leave a dpkg running in the half-made tree.
        // Before waitpid, while the unreaped leader still pins the group id.
        ::kill(-*pid, SIGKILL);
        int ws = 0;
        while (::waitpid(*pid, &ws, 0) < 0 && errno == EINTR) {
        }
        if (WIFEXITED(ws))
            status.code = WEXITSTATUS(ws);
        else if (WIFSIGNALED(ws))
            status.signal = WTERMSIG(ws);
        exited = true;
        drainUntil = Clock::now() + std::chrono::milliseconds(200);
    };

    for (;;) {
        std::vector<pollfd> fds;
        for (auto& s : streams)
            if (s.fd >= 0)
                fds.push_back({s.fd, POLLIN, 0});
        size_t nStreams = fds.size();
        if (!exited) {
            fds.push_back({pidfd.get(), POLLIN, 0});
            fds.push_back({wake.get(), POLLIN, 0});
        }
        if (exited && (nStreams == 0 || Clock::now() >= *drainUntil))
            break;

        int timeout = -1;
        auto now = Clock::now();
        if (killAt && !killed)
            timeout = static_cast<int>(std::max<long>(0, std::chrono::duration_cast<std::chrono::milliseconds>(*killAt - now).count()));
        if (exited)
            timeout = static_cast<int>(std::max<long>(0, std::chrono::duration_cast<std::chrono::milliseconds>(*drainUntil - now).count()));
        if (!pidfd && !exited)
            timeout = timeout < 0 ? 50 : std::min(timeout, 50);  // no pidfd (old kernel): poll waitpid

        int n = ::poll(fds.data(), fds.size(), timeout);
        if (n < 0 && errno != EINTR)
            break;

        for (size_t i = 0; i < nStreams; ++i) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            for (auto& s : streams) {
                if (s.fd != fds[i].fd)
                    continue;
                ssize_t r = ::read(s.fd, buf, sizeof buf);
                if (r > 0) {
                    s.lines.feed(std::string_view(buf, r));
                } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
                    s.lines.finish();
                    s.fd = -1;
                }
            }
        }
        if (exited)
            continue;

        bool cancelNow = cancel.stop_requested();
        if (cancelNow && !killAt) {
            status.cancelled = true;
            ::kill(-*pid, SIGTERM);
            killAt = Clock::now() + o.killGrace;
        }
        if (killAt && !killed && Clock::now() >= *killAt) {
            ::kill(-*pid, SIGKILL);
            killed = true;
        }
        if (pidfd) {
            if (fds[nStreams].revents & POLLIN)
                reap();
        } else {
            siginfo_t info{};
            if (::waitid(P_PID, static_cast<id_t>(*pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == *pid)
                reap();
        }
    }
    if (!exited) {  // poll failed: never leave a child behind
        ::kill(-*pid, SIGKILL);
        reap();
    }
    for (auto& s : streams)
        if (s.fd >= 0)
            s.lines.finish();
    if (status.cancelled)
        status.code = -1;
    return status;
}

}  // namespace zenith::drivers
