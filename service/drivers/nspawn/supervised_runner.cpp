#include "drivers/nspawn/supervised_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "core/log.h"
#include "drivers/nspawn/nspawn_command.h"
#include "drivers/nspawn/rootfs_files.h"
#include "drivers/nspawn/rotating_log.h"
#include "drivers/nspawn/run_record.h"
#include "drivers/process.h"
#include "drivers/unique_fd.h"
#include "drivers/nspawn/host_file.h"

extern char** environ;

namespace zenith::drivers::nspawn {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct SupervisedRunner::Instance {
    std::string name;
    pid_t pid = 0;
    uint64_t startTime = 0;
    int pidfd = -1;
    bool ourChild = false;
    // Guarded by the runner's mutex:
    bool exited = false;
    bool ready = false;     // READY=1 seen (or adopted running): an exit now is news
    bool stopping = false;  // we asked it to stop: an exit is expected
    int exitStatus = 0;     // waitpid status when ourChild
    pid_t leader = 0;       // X_NSPAWN_LEADER_PID from nspawn's notification
    pid_t logger = 0;       // our zenith-console-log child (0: not ours to reap)
    std::thread watcher;

    ~Instance()
    {
        if (pidfd >= 0)
            ::close(pidfd);
    }
};

namespace {

// The child of `pid` living in another pid namespace: the container's init.
pid_t containerInit(pid_t pid)
{
    std::error_code ec;
    auto ownNs = fs::read_symlink(fmt::format("/proc/{}/ns/pid", pid), ec);
    if (ec)
        return 0;
    for (fs::directory_iterator it(fmt::format("/proc/{}/task", pid), ec), end; !ec && it != end; it.increment(ec)) {
        std::ifstream f(it->path() / "children");
        for (pid_t child; f >> child;) {
            std::error_code e2;
            auto ns = fs::read_symlink(fmt::format("/proc/{}/ns/pid", child), e2);
            if (!e2 && ns != ownNs)
                return child;
        }
    }
    return 0;
}

// The console log is the tenant's output: only its tail is read, however
// big the file is.
std::string lastLines(const std::string& path, size_t n)
{
    constexpr std::streamoff kTail = 64 * 1024;
    std::ifstream f(path, std::ios::binary);
    f.seekg(0, std::ios::end);
    const std::streamoff size = f.tellg();
    f.seekg(size > kTail ? size - kTail : 0);
    std::vector<std::string> lines;
    for (std::string l; std::getline(f, l);)
        if (!l.empty())
            lines.push_back(l);
    std::string out;
    for (size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i)
        out += (out.empty() ? "" : " | ") + lines[i];
    return out;
}

std::vector<std::string> childEnv(const std::string& notifySocket)
{
    std::vector<std::string> env;
    for (char** e = environ; e && *e; ++e) {
        std::string_view v(*e);
        // Our own service manager's notification and socket-activation
        // variables must not reach nspawn.
        if (v.starts_with("NOTIFY_SOCKET=") || v.starts_with("LISTEN_") || v.starts_with("WATCHDOG_"))
            continue;
        env.emplace_back(v);
    }
    env.push_back("NOTIFY_SOCKET=" + notifySocket);
    return env;
}

// Waits (bounded) for our zenith-console-log child, which ends once the
// console pipe is closed.
void reapLogger(pid_t pid)
{
    int fd = openPidfd(pid);
    if (fd >= 0) {
        pollfd p{fd, POLLIN, 0};
        ::poll(&p, 1, 5000);
        ::close(fd);
    }
    if (::waitpid(pid, nullptr, WNOHANG) == 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
    }
}

class NotifySocket {
public:
    ~NotifySocket()
    {
        if (fd >= 0)
            ::close(fd);
        if (!path.empty() && path[0] != '@')
            ::unlink(path.c_str());
    }
    int fd = -1;
    std::string path;  // "@..." for an abstract address
};

core::Result<void> bindNotifySocket(NotifySocket& s, const std::string& preferredPath, const std::string& name)
{
    s.fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s.fd < 0)
        return core::fail(core::ErrorCode::BackendFailed, fmt::format("socket: {}", std::strerror(errno)));
    int one = 1;
    ::setsockopt(s.fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    socklen_t len;
    if (preferredPath.size() < sizeof addr.sun_path) {
        ::unlink(preferredPath.c_str());
        std::memcpy(addr.sun_path, preferredPath.c_str(), preferredPath.size() + 1);
        len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + preferredPath.size() + 1);
        s.path = preferredPath;
    } else {
        // A deep state dir does not fit sun_path: fall back to an abstract
        // name (the sender's pid is checked either way).
        std::string abstractName = fmt::format("zenith-notify/{}/{}", ::getpid(), name);
        addr.sun_path[0] = '\0';
        std::memcpy(addr.sun_path + 1, abstractName.c_str(), std::min(abstractName.size(), sizeof addr.sun_path - 2));
        len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + std::min(abstractName.size(), sizeof addr.sun_path - 2));
        s.path = "@" + abstractName;
    }
    if (::bind(s.fd, reinterpret_cast<sockaddr*>(&addr), len) != 0)
        return core::fail(core::ErrorCode::BackendFailed, fmt::format("bind {}: {}", s.path, std::strerror(errno)));
    return {};
}

}  // namespace

std::string defaultConsoleLogHelper()
{
    std::error_code ec;
    auto self = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string("zenith-console-log") : (self.parent_path() / "zenith-console-log").string();
}

SupervisedRunner::SupervisedRunner(std::string stateDir, MachineCgroups cgroups, std::string consoleLogHelper)
    : stateDir_(std::move(stateDir)),
      cgroups_(std::move(cgroups)),
      consoleLogHelper_(std::move(consoleLogHelper)),
      shutdownFd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK))
{
}

SupervisedRunner::~SupervisedRunner()
{
    uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(shutdownFd_, &one, sizeof one);
    std::map<std::string, std::shared_ptr<Instance>> all;
    {
        std::lock_guard lock(mutex_);
        all.swap(instances_);
    }
    for (auto& [name, inst] : all)
        if (inst->watcher.joinable())
            inst->watcher.join();
    for (auto& t : retired_)
        if (t.joinable())
            t.join();
    ::close(shutdownFd_);
}

std::string SupervisedRunner::runDir() const
{
    return (fs::path(stateDir_) / "run").string();
}

std::string SupervisedRunner::pidFile(const std::string& name) const
{
    return (fs::path(runDir()) / (name + ".pid")).string();
}

std::string SupervisedRunner::consoleLog(const std::string& name) const
{
    return (fs::path(runDir()) / (name + ".console")).string();
}

void SupervisedRunner::setExitListener(std::function<void(const std::string&)> listener)
{
    std::lock_guard lock(mutex_);
    listener_ = std::move(listener);
}

// Called with mutex_ held.
std::shared_ptr<SupervisedRunner::Instance> SupervisedRunner::watch(const std::string& name, pid_t pid,
                                                                    uint64_t startTime, bool ourChild, pid_t logger)
{
    auto inst = std::make_shared<Instance>();
    inst->name = name;
    inst->pid = pid;
    inst->logger = logger;
    inst->startTime = startTime;
    inst->ourChild = ourChild;
    inst->pidfd = openPidfd(pid);
    if (auto old = instances_.find(name); old != instances_.end() && old->second->watcher.joinable())
        retired_.push_back(std::move(old->second->watcher));
    instances_[name] = inst;
    inst->watcher = std::thread([this, inst] { watcherLoop(inst); });
    return inst;
}

void SupervisedRunner::watcherLoop(std::shared_ptr<Instance> inst)
{
    for (;;) {
        pollfd fds[2] = {{shutdownFd_, POLLIN, 0}, {inst->pidfd, POLLIN, 0}};
        // Without a pidfd (the process vanished before we looked) poll /proc.
        bool havePidfd = inst->pidfd >= 0;
        int n = ::poll(fds, havePidfd ? 2 : 1, havePidfd ? -1 : 200);
        if (n < 0 && errno == EINTR)
            continue;
        if (fds[0].revents & POLLIN)
            return;  // the daemon goes away; the machine stays
        if (havePidfd ? (fds[1].revents & POLLIN) != 0 : !isAlive({inst->pid, inst->startTime}))
            break;
    }
    int status = 0;
    if (inst->ourChild)
        while (::waitpid(inst->pid, &status, 0) < 0 && errno == EINTR) {
        }
    // nspawn closed the console pipe: the logger writes what is left and
    // ends. Waited for, so the console log is complete when the exit is news.
    if (inst->logger > 0)
        reapLogger(inst->logger);
    // Gone before anyone hears that the machine stopped: a stop that
    // returns leaves no cgroup behind.
    if (auto r = cgroups_.remove(inst->name); !r)
        log::warning({.machine = inst->name}, "{}", r.error().message);

    std::function<void(const std::string&)> listener;
    {
        std::lock_guard lock(mutex_);
        inst->exited = true;
        inst->exitStatus = status;
        auto path = pidFile(inst->name);
        if (auto rec = parseRunRecord(readHostFile(path)); rec && rec->pid == inst->pid)
            ::unlink(path.c_str());
        if (inst->ready && !inst->stopping)
            listener = listener_;
    }
    exited_.notify_all();
    if (listener) {
        log::info({.machine = inst->name}, "container {} exited on its own", inst->name);
        listener(inst->name);
    }
}

std::shared_ptr<SupervisedRunner::Instance> SupervisedRunner::find(const std::string& name, const std::string& rootfs)
{
    std::lock_guard lock(mutex_);
    if (auto it = instances_.find(name); it != instances_.end() && !it->second->exited)
        return it->second;
    auto path = pidFile(name);
    auto rec = parseRunRecord(readHostFile(path));
    if (rec && (!isAlive(*rec) || !isOurNspawn(rec->pid))) {
        ::unlink(path.c_str());  // the machine died while no daemon watched (its pid may be reused)
        (void)cgroups_.remove(name);
        rec.reset();
    }
    if (!rec && !rootfs.empty()) {
        // No (live) pid file: a daemon that died right after starting the
        // machine never wrote it. The machine may still run; find it by its
        // exact argv.
        rec = findNspawnFor(name, rootfs);
        if (rec) {
            log::warning({.machine = name}, "found {} running without its pid file (pid {}); adopting it", name,
                         rec->pid);
            (void)writeFileInRoot(runDir(), name + ".pid", formatRunRecord(*rec), 0600);
        }
    }
    if (!rec)
        return nullptr;
    // A machine started by an earlier daemon: watch it, it is not our child.
    auto inst = watch(name, rec->pid, rec->startTime, false);
    inst->ready = true;
    return inst;
}

bool SupervisedRunner::waitExited(const std::shared_ptr<Instance>& inst, std::chrono::milliseconds timeout)
{
    std::unique_lock lock(mutex_);
    return exited_.wait_for(lock, timeout, [&] { return inst->exited; });
}

void SupervisedRunner::kill(const std::shared_ptr<Instance>& inst, std::chrono::seconds grace)
{
    {
        std::lock_guard lock(mutex_);
        if (inst->exited)
            return;
        inst->stopping = true;
    }
    // nspawn turns SIGTERM into a clean poweroff of the container's systemd.
    ::kill(inst->pid, SIGTERM);
    if (waitExited(inst, grace))
        return;
    log::warning({.machine = inst->name}, "container {} did not power off within {}s; killing it", inst->name,
                 grace.count());
    killAtOnce(inst);
}

void SupervisedRunner::killAtOnce(const std::shared_ptr<Instance>& inst)
{
    {
        std::lock_guard lock(mutex_);
        if (inst->exited)
            return;
        inst->stopping = true;
    }
    // Killing nspawn alone would orphan the container; killing its init
    // ends the whole pid namespace.
    pid_t init = containerInit(inst->pid);
    if (init > 0)
        ::kill(init, SIGKILL);
    ::kill(inst->pid, SIGKILL);
    waitExited(inst, 10s);
}

core::Result<void> SupervisedRunner::start(const RunTarget& t, std::stop_token cancel, std::chrono::seconds timeout)
{
    if (find(t.name, t.rootfs))
        return {};  // already running

    std::error_code ec;
    fs::create_directories(runDir(), ec);
    ::chmod(runDir().c_str(), 0700);
    NotifySocket notify;
    if (auto r = bindNotifySocket(notify, (fs::path(runDir()) / (t.name + ".notify")).string(), t.name); !r)
        return r;

    // The console goes through a pipe to zenith-console-log, which keeps it
    // bounded (the tenant decides how much it prints). Each boot starts a
    // fresh log.
    for (const auto& old : {consoleLog(t.name), consoleLog(t.name) + ".1"})
        ::unlink(old.c_str());
    int pipeFds[2];
    if (::pipe2(pipeFds, O_CLOEXEC) != 0)
        return core::fail(core::ErrorCode::BackendFailed, fmt::format("pipe: {}", std::strerror(errno)));
    UniqueFd consoleRead(pipeFds[0]), consoleWrite(pipeFds[1]);
    SpawnOptions lo;
    lo.argv = {consoleLogHelper_, std::to_string(kConsoleLogMaxBytes), consoleLog(t.name)};
    lo.newSession = true;  // like nspawn: it outlives a daemon restart
    lo.stdinFd = consoleRead.get();
    auto logger = spawnProcess(lo);
    consoleRead = UniqueFd();
    if (!logger)
        return core::fail(core::ErrorCode::BackendFailed,
                          fmt::format("cannot keep the console of {}: {}", t.name, logger.error().message));
    // Its own cgroups, with its limits, before nspawn runs a single step.
    auto cgroups = cgroups_.create(t.name, {t.cpuQuota, t.memoryMax});
    if (!cgroups) {
        consoleWrite = UniqueFd();
        reapLogger(*logger);
        return std::unexpected(cgroups.error());
    }
    SpawnOptions so;
    so.argv = nspawnArgv(t, hostRunsSystemd());
    so.env = childEnv(notify.path);
    so.newSession = true;
    so.stdoutFd = consoleWrite.get();
    so.stderrFd = consoleWrite.get();
    so.cgroupProcs = *cgroups;
    log::info({.machine = t.name}, "starting {}", renderArgv(so.argv));

    std::shared_ptr<Instance> inst;
    {
        // Spawning and registering under the lock: the watcher must exist
        // before anyone can ask about this machine.
        std::lock_guard lock(mutex_);
        auto pid = spawnProcess(so);
        consoleWrite = UniqueFd();  // nspawn holds the only write end now
        if (!pid) {
            reapLogger(*logger);
            (void)cgroups_.remove(t.name);
            return std::unexpected(pid.error());
        }
        uint64_t startTime = processStartTime(*pid).value_or(0);
        auto w = writeFileInRoot(runDir(), t.name + ".pid", formatRunRecord({*pid, startTime}), 0600);
        if (!w)
            log::warning({.machine = t.name}, "cannot record the container's pid: {}", w.error().message);
        inst = watch(t.name, *pid, startTime, true, *logger);
    }

    int wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    std::stop_callback onCancel(cancel, [&] {
        uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(wake, &one, sizeof one);
    });
    auto deadline = std::chrono::steady_clock::now() + timeout;
    bool ready = false;
    char buf[4096];
    char control[CMSG_SPACE(sizeof(ucred))];
    while (!ready) {
        if (cancel.stop_requested() || std::chrono::steady_clock::now() >= deadline)
            break;
        {
            std::lock_guard lock(mutex_);
            if (inst->exited)
                break;
        }
        pollfd fds[2] = {{notify.fd, POLLIN, 0}, {wake, POLLIN, 0}};
        ::poll(fds, 2, 100);  // short slices: the exit is noticed through the watcher
        if (!(fds[0].revents & POLLIN))
            continue;
        iovec iov{buf, sizeof buf - 1};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        ssize_t n = ::recvmsg(notify.fd, &msg, MSG_DONTWAIT);
        if (n <= 0)
            continue;
        const ucred* cred = nullptr;
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS)
                cred = reinterpret_cast<const ucred*>(CMSG_DATA(c));
        if (!cred || cred->pid != inst->pid)
            continue;  // only nspawn itself may say the machine is up
        std::istringstream lines(std::string(buf, static_cast<size_t>(n)));
        for (std::string l; std::getline(lines, l);) {
            if (l == "READY=1")
                ready = true;
            else if (l.starts_with("X_NSPAWN_LEADER_PID="))
                inst->leader = std::atoi(l.c_str() + 20);
        }
    }
    ::close(wake);

    if (ready) {
        std::lock_guard lock(mutex_);
        inst->ready = true;
        return {};
    }
    bool exited;
    int status;
    {
        std::lock_guard lock(mutex_);
        exited = inst->exited;
        status = inst->exitStatus;
    }
    if (exited) {
        ExitStatus es;
        es.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        es.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
        return core::fail(core::ErrorCode::BackendFailed,
                          fmt::format("systemd-nspawn exited before {} was up ({}): {}", t.name, es.describe(),
                                      lastLines(consoleLog(t.name), 3)));
    }
    kill(inst, 10s);
    if (cancel.stop_requested())
        return core::fail(core::ErrorCode::Cancelled, fmt::format("start of {} cancelled", t.name));
    return core::fail(core::ErrorCode::BackendFailed,
                      fmt::format("{} did not report ready within {}s: {}", t.name, timeout.count(),
                                  lastLines(consoleLog(t.name), 3)));
}

core::Result<void> SupervisedRunner::stop(const RunTarget& t, std::chrono::seconds timeout)
{
    auto inst = find(t.name, t.rootfs);
    if (inst)
        kill(inst, timeout);
    if (inst && !waitExited(inst, 0ms))
        return core::fail(core::ErrorCode::BackendFailed, fmt::format("{} (pid {}) did not exit", t.name, inst->pid));
    ::unlink(pidFile(t.name).c_str());
    return {};
}

core::Result<void> SupervisedRunner::kill(const RunTarget& t)
{
    auto inst = find(t.name, t.rootfs);
    if (inst)
        killAtOnce(inst);
    if (inst && !waitExited(inst, 0ms))
        return core::fail(core::ErrorCode::BackendFailed, fmt::format("{} (pid {}) did not exit", t.name, inst->pid));
    ::unlink(pidFile(t.name).c_str());
    return {};
}

bool SupervisedRunner::isRunning(const RunTarget& t)
{
    return find(t.name, t.rootfs) != nullptr;
}

int SupervisedRunner::leaderPid(const RunTarget& t)
{
    auto inst = find(t.name, t.rootfs);
    if (!inst)
        return 0;
    if (pid_t init = containerInit(inst->pid); init > 0)
        return init;
    std::lock_guard lock(mutex_);
    return inst->leader;
}

std::shared_ptr<MachineRunner> makeSupervisedRunner(std::string stateDir, std::string consoleLogHelper)
{
    return std::make_shared<SupervisedRunner>(std::move(stateDir), MachineCgroups::forThisProcess(),
                                              std::move(consoleLogHelper));
}

}  // namespace zenith::drivers::nspawn
