#include "nspawn_peer.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>

#include "drivers/nspawn/machine_cgroups.h"
#include "drivers/nspawn/uid_range.h"
#include "drivers/process.h"
#include "support/ready_socket.h"
#include "support/results.h"
#include "support/run_command.h"
#include "support/stopwatch.h"

extern char** environ;

namespace zenith::bench {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// Above the range systemd-nspawn picks from and far from the daemon's
// (524288 up), so it never meets a machine of the daemon's.
constexpr uint32_t kPeerUidBase = 0x70000000;

// One booted snapshot; whatever happens, it is powered off, reaped and
// deleted, and its cgroups removed.
class RawMachine {
public:
    RawMachine(const ScenarioOptions& o, std::string name, std::string rootfs)
        : o_(o), name_(std::move(name)), rootfs_(std::move(rootfs)), cgroups_(drivers::nspawn::MachineCgroups::forThisProcess())
    {
    }
    ~RawMachine()
    {
        try {
            stop();
            remove();
        } catch (...) {
        }
    }

    void snapshot(const std::string& image) { runChecked({"btrfs", "subvolume", "snapshot", image, rootfs_}, o_.log); }

    void boot(const std::string& notifyPath)
    {
        auto procs = cgroups_.create(name_, {});
        if (!procs)
            throw std::runtime_error("cgroups for " + name_ + ": " + procs.error().message);
        drivers::SpawnOptions so;
        // The flags the daemon's runner and settings file give a machine
        // without a bridge (nspawn_command.cpp, machine_config.cpp).
        so.argv = {"systemd-nspawn", "--boot", "--keep-unit", "--register=no", "--quiet",
                   "--directory=" + rootfs_, "--machine=" + name_, "--hostname=" + name_,
                   "--notify-ready=yes", "--link-journal=no", "--console=read-only", "--private-network",
                   fmt::format("--private-users={}:{}", kPeerUidBase, drivers::nspawn::kUidRangeSize),
                   "--private-users-ownership=map"};
        std::vector<std::string> env;
        for (char** e = environ; *e; ++e)
            if (!std::string_view(*e).starts_with("NOTIFY_SOCKET="))
                env.emplace_back(*e);
        env.push_back("NOTIFY_SOCKET=" + notifyPath);
        so.env = std::move(env);
        so.newSession = true;
        so.cgroupProcs = *procs;
        int logFd = o_.log.empty() ? -1 : ::open(o_.log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        so.stdoutFd = so.stderrFd = logFd;
        auto pid = drivers::spawnProcess(so);
        if (logFd >= 0)
            ::close(logFd);
        if (!pid)
            throw std::runtime_error("systemd-nspawn: " + pid.error().message);
        pid_ = *pid;
    }

    // SIGTERM: nspawn asks the container's systemd to power off, as the
    // daemon's destroy with FORCE does first.
    void stop()
    {
        if (pid_ <= 0)
            return;
        ::kill(pid_, SIGTERM);
        int status = 0;
        for (int i = 0; i < 300; ++i) {
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = 0;
                return;
            }
            ::usleep(10'000);
        }
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        pid_ = 0;
    }

    void remove()
    {
        if (fs::exists(rootfs_))
            runChecked({"btrfs", "subvolume", "delete", rootfs_}, o_.log);
        auto r = cgroups_.remove(name_);
        if (!r)
            throw std::runtime_error("cgroups of " + name_ + ": " + r.error().message);
    }

private:
    const ScenarioOptions& o_;
    std::string name_, rootfs_;
    drivers::nspawn::MachineCgroups cgroups_;
    pid_t pid_ = 0;
};

}  // namespace

void nspawnCreateToRunning(const ScenarioOptions& o, const NspawnPeerSetup& setup)
{
    Record ready{o.group, "create-to-running", "systemd-nspawn alone (READY=1)"};
    Record destroy{o.group, "destroy-running", "systemd-nspawn alone (SIGTERM + subvolume delete)"};
    for (int i = 0; i < o.runs; ++i) {
        const std::string name = fmt::format("bench-raw{}", i);
        RawMachine m(o, name, (fs::path(setup.dir) / name).string());
        ReadySocket notify(setup.notifyPath);
        Stopwatch sw;
        m.snapshot(setup.image);
        m.boot(setup.notifyPath);
        if (!notify.waitReady(90s))
            throw std::runtime_error(fmt::format("systemd-nspawn {} sent no READY=1 within 90 s", name));
        ready.samples.push_back(sw.ms());

        sw.restart();
        m.stop();
        m.remove();
        destroy.samples.push_back(sw.ms());
        settle(o);
    }
    ready.note = "btrfs snapshot + systemd-nspawn --boot with the daemon's flags (user namespace, idmapped "
                 "mount, private network, own cgroups) until READY=1";
    appendRecord(o.out, ready);
    appendRecord(o.out, destroy);
}

}  // namespace zenith::bench
