#include "drivers/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <linux/close_range.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
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

namespace {

// posix_spawnp's lookup: argv[0] as a path when it holds a '/', else the
// first executable of that name in our PATH.
std::string resolveExecutable(const std::string& name)
{
    if (name.find('/') != std::string::npos)
        return name;
    const char* path = std::getenv("PATH");
    std::string_view dirs = path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (;;) {
        auto colon = dirs.find(':');
        std::string dir(dirs.substr(0, colon));
        std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0)
            return candidate;
        if (colon == std::string_view::npos)
            return {};
        dirs.remove_prefix(colon + 1);
    }
}

// In the child between fork and exec: only async-signal-safe calls. On
// failure the errno goes up the pipe and the child exits.
[[noreturn]] void execChild(const SpawnOptions& o, const char* path, char* const* argv, char* const* envp,
                            const std::vector<int>& cgroups, int in, int out, int err, int three, int report)
{
    auto fail = [report]() {
        int e = errno;
        [[maybe_unused]] auto n = ::write(report, &e, sizeof e);
        ::_exit(127);
    };
    sigset_t none;
    sigemptyset(&none);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig)
        ::sigaction(sig, &dfl, nullptr);  // fails harmlessly for SIGKILL/SIGSTOP
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (o.newSession ? ::setsid() < 0 : ::setpgid(0, 0) != 0)
        fail();
    // "0": the writing process (cgroup v1 and v2 alike).
    for (int fd : cgroups)
        if (::write(fd, "0", 1) != 1)
            fail();
    ::umask(o.umask);
    if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0 || (three >= 0 && ::dup2(three, 3) < 0))
        fail();
    // Nothing of ours leaks into the program, whatever its O_CLOEXEC state
    // (other threads may open fds without it); the report pipe stays open
    // until the exec closes it.
    if (::syscall(SYS_close_range, three >= 0 ? 4 : 3, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
        fail();
    ::execve(path, argv, envp);
    fail();
    ::_exit(127);  // fail() does not return; this tells the compiler so
}

}  // namespace

core::Result<pid_t> spawnProcess(const SpawnOptions& o)
{
    if (o.argv.empty())
        return core::fail(core::ErrorCode::BackendFailed, "spawn: empty argv");
    const std::string path = resolveExecutable(o.argv[0]);
    if (path.empty())
        return core::fail(core::ErrorCode::BackendFailed,
                          fmt::format("cannot run {}: {}", o.argv[0], std::strerror(ENOENT)));

    UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!devnull)
        return core::fail(core::ErrorCode::BackendFailed, fmt::format("/dev/null: {}", std::strerror(errno)));
    UniqueFd in = highCopy(o.stdinFd >= 0 ? o.stdinFd : devnull.get());
    UniqueFd out = highCopy(o.stdoutFd >= 0 ? o.stdoutFd : devnull.get());
    UniqueFd err = highCopy(o.stderrFd >= 0 ? o.stderrFd : devnull.get());
    UniqueFd three = o.fd3 >= 0 ? highCopy(o.fd3) : UniqueFd();
    if (!in || !out || !err || (o.fd3 >= 0 && !three))
        return core::fail(core::ErrorCode::BackendFailed, fmt::format("fcntl: {}", std::strerror(errno)));
    std::vector<UniqueFd> cgroupFds;
    std::vector<int> cgroups;
    for (const auto& procs : o.cgroupProcs) {
        UniqueFd fd(::open(procs.c_str(), O_WRONLY | O_CLOEXEC));
        if (!fd)
            return core::fail(core::ErrorCode::BackendFailed,
                              fmt::format("cannot open {}: {}", procs, std::strerror(errno)));
        UniqueFd high = highCopy(fd.get());
        cgroups.push_back(high.get());
        cgroupFds.push_back(std::move(high));
    }

    // Everything the child needs exists before the fork: it may not allocate.
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
    int report[2];
    if (::pipe2(report, O_CLOEXEC) != 0)
        return core::fail(core::ErrorCode::BackendFailed, fmt::format("pipe: {}", std::strerror(errno)));
    UniqueFd reportRead(report[0]), reportWrite(report[1]);

    pid_t pid = ::fork();
    if (pid < 0)
        return core::fail(core::ErrorCode::BackendFailed,
                          fmt::format("cannot run {}: fork: {}", o.argv[0], std::strerror(errno)));
    if (pid == 0)
        execChild(o, path.c_str(), argv.data(), o.env ? envp.data() : environ, cgroups, in.get(), out.get(),
                  err.get(), three ? three.get() : -1, reportWrite.get());

    reportWrite = UniqueFd();
    int childErrno = 0;
    ssize_t n;
    do {
        n = ::read(reportRead.get(), &childErrno, sizeof childErrno);
    } while (n < 0 && errno == EINTR);
    if (n == sizeof childErrno) {
        // The exec (or a step before it) failed: reap the child here.
        while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
        return core::fail(core::ErrorCode::BackendFailed,
                          fmt::format("cannot run {}: {}", o.argv[0], std::strerror(childErrno)));
    }
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
