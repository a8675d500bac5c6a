// A daemon killed (SIGKILL) in the middle of a clone: started again the way
// sandbox.sh started it, its recovery finds the half-made guest by what the
// clone job checkpointed (cluster, vmid, node, then the task's UPID), waits
// for the cluster's task to end and removes the guest. Afterwards the
// machine is not listed (not even later, from the cluster listing), the job
// that ran is listed as failed (the restart's message in the daemon's log:
// its object is not republished), the pool address is free again and the
// cluster saw the DELETE.
//
// The simulator runs slower for the clone (POST /config speed) so that the
// kill lands while its task runs; its speed is restored right after the
// kill (a task's current step keeps the length it started with). Two
// moments: while the clone task runs (its UPID checkpointed and polled),
// and after it ended but before the start (the config PUT held up by a
// lock fault).
//
// Listed just before secrets_test.cpp: the daemon that every later test
// talks to is the restarted one ($ZENITH_SANDBOX/run/daemon.pid and
// ZENITH_DAEMON_PID are updated, so teardown stops it).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <thread>

#include <gtest/gtest.h>
#include <sdbus-c++/sdbus-c++.h>

#include <fmt/format.h>

#include "daemon_view.h"
#include "proxmox_support.h"
#include "sandbox_env.h"
#include "zenithctl_run.h"

namespace zenith::bustest::pve {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kBusName = "org.zenith.Provisioner";

std::string readText(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string pidFile()
{
    return sandboxVar("ZENITH_SANDBOX") + "/run/daemon.pid";
}

// Alive and not a zombie (the sandbox's PID 1 reaps it when it can).
bool processAlive(pid_t pid)
{
    if (pid <= 0 || ::kill(pid, 0) != 0) {
        return false;
    }
    const std::string stat = readText(fmt::format("/proc/{}/stat", pid));
    const auto close = stat.rfind(')');
    if (close == std::string::npos || close + 2 >= stat.size()) {
        return false;
    }
    const char state = stat[close + 2];
    return state != 'Z' && state != 'X';
}

bool nameOwned(const std::string& name)
{
    try {
        auto connection = sdbus::createSystemBusConnection();
        auto proxy = sdbus::createProxy(*connection, "org.freedesktop.DBus", "/org/freedesktop/DBus");
        bool owned = false;
        proxy->callMethod("NameHasOwner").onInterface("org.freedesktop.DBus").withArguments(name).storeResultsTo(owned);
        return owned;
    } catch (const sdbus::Error&) {
        return false;
    }
}

// The daemon's command line as sandbox.sh ran it ($ZENITH_DAEMON_ARGV:
// NUL-ended arguments, the binary first).
std::vector<std::string> daemonArgv()
{
    const std::string text = readText(sandboxVar("ZENITH_DAEMON_ARGV"));
    std::vector<std::string> argv;
    size_t start = 0;
    for (size_t end; (end = text.find('\0', start)) != std::string::npos; start = end + 1) {
        argv.push_back(text.substr(start, end - start));
    }
    return argv;
}

// Kills the sandbox's daemon and starts it again as sandbox.sh did. If the
// test stops between the two, the destructor starts it, so the tests after
// this one still have a daemon.
class DaemonRestart {
public:
    DaemonRestart() = default;
    ~DaemonRestart()
    {
        if (killed_ && !started_) {
            try {
                start();
            } catch (const std::exception& e) {
                ADD_FAILURE() << "cannot start the daemon again: " << e.what();
            }
        }
    }
    DaemonRestart(const DaemonRestart&) = delete;
    DaemonRestart& operator=(const DaemonRestart&) = delete;

    // SIGKILL, then until it is gone and its bus name released.
    void kill()
    {
        const pid_t pid = static_cast<pid_t>(std::stol(readText(pidFile())));
        ASSERT_TRUE(processAlive(pid)) << "the daemon (pid " << pid << ") is not running";
        killed_ = true;
        ASSERT_EQ(::kill(pid, SIGKILL), 0) << std::strerror(errno);
        ASSERT_TRUE(waitFor([&] { return !processAlive(pid); }, 10s)) << "pid " << pid << " survived SIGKILL";
        ASSERT_TRUE(waitFor([] { return !nameOwned(kBusName); }, 10s))
            << kBusName << " is still owned after its daemon died";
    }

    // Umask 077, stdin /dev/null, output appended to the daemon's log, in a
    // session of its own and (double fork) a child of the sandbox's PID 1,
    // not of this test. Returns its pid once its name is on the bus.
    pid_t start()
    {
        started_ = true;
        const std::vector<std::string> argv = daemonArgv();
        if (argv.empty()) {
            throw std::runtime_error("$ZENITH_DAEMON_ARGV is empty");
        }
        std::vector<char*> args;
        for (const auto& a : argv) {
            args.push_back(const_cast<char*>(a.c_str()));
        }
        args.push_back(nullptr);
        const std::string log = sandboxVar("ZENITH_DAEMON_LOG");

        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0) {
            throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
        }
        const pid_t child = fork();
        if (child < 0) {
            throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
        }
        if (child == 0) {
            // Only async-signal-safe calls from here to exec.
            setsid();
            const pid_t daemon = fork();
            if (daemon != 0) {
                (void)!write(fds[1], &daemon, sizeof daemon);
                _exit(daemon > 0 ? 0 : 1);
            }
            sigset_t none;
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, nullptr);
            umask(077);
            const int in = open("/dev/null", O_RDONLY);
            const int out = open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
            if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0) {
                _exit(126);
            }
            syscall(SYS_close_range, 3u, ~0u, 0u);
            execv(args[0], args.data());
            _exit(127);
        }
        close(fds[1]);
        int status = 0;
        while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
        }
        pid_t daemon = -1;
        const ssize_t n = read(fds[0], &daemon, sizeof daemon);
        close(fds[0]);
        if (n != static_cast<ssize_t>(sizeof daemon) || daemon <= 0) {
            throw std::runtime_error("the daemon could not be started (fork failed)");
        }
        {
            std::ofstream(pidFile(), std::ios::trunc) << daemon << "\n";
        }
        setenv("ZENITH_DAEMON_PID", std::to_string(daemon).c_str(), 1);
        const bool up = waitFor([&] { return nameOwned(kBusName) || !processAlive(daemon); }, 30s);
        if (!up || !nameOwned(kBusName)) {
            throw std::runtime_error(fmt::format("the restarted daemon (pid {}) {} {} within 30 s; its log:\n{}",
                                                 daemon, processAlive(daemon) ? "did not take" : "died before taking",
                                                 kBusName, daemonLogLines("", 30)));
        }
        return daemon;
    }

private:
    bool killed_ = false, started_ = false;
};

// The simulator at another speed for a scope.
class SimSpeed {
public:
    explicit SimSpeed(double speed) : saved_(simState().value("speed", 0.1)) { set(speed); }
    ~SimSpeed() { restore(); }
    SimSpeed(const SimSpeed&) = delete;
    SimSpeed& operator=(const SimSpeed&) = delete;

    void restore()
    {
        if (restored_) {
            return;
        }
        restored_ = true;
        try {
            set(saved_);
        } catch (const std::exception& e) {
            ADD_FAILURE() << "cannot restore the simulator's speed: " << e.what();
        }
    }

private:
    static void set(double speed) { simPost("/config", {{"speed", speed}}); }
    double saved_;
    bool restored_ = false;
};

// Drops the simulator's pending faults when the scope ends (a fault the
// test set but the daemon never met must not strike a later test).
class FaultsCleared {
public:
    FaultsCleared() = default;
    ~FaultsCleared()
    {
        try {
            simPost("/faults/clear");
        } catch (const std::exception& e) {
            ADD_FAILURE() << "cannot clear the simulator's faults: " << e.what();
        }
    }
    FaultsCleared(const FaultsCleared&) = delete;
    FaultsCleared& operator=(const FaultsCleared&) = delete;
};

// The upid of the request `method rel_path` that answered 200 with one.
std::optional<std::string> upidOf(const json& requests, const std::string& method, const std::string& relPath)
{
    for (const auto& r : requests) {
        if (r.value("method", "") == method && r.value("rel_path", "") == relPath && r.value("status", 0) == 200 &&
            r.contains("upid") && r["upid"].is_string()) {
            return r["upid"].get<std::string>();
        }
    }
    return std::nullopt;
}

// Whether the daemon has asked for the status of task `upid` (so it
// checkpointed the upid before).
bool statusPolled(const json& requests, const std::string& upid)
{
    for (const auto& r : requests) {
        const std::string path = r.value("rel_path", "");
        if (r.value("method", "") == "GET" && path.find(upid) != std::string::npos && path.ends_with("/status")) {
            return true;
        }
    }
    return false;
}

bool requested(const json& requests, const std::string& method, const std::string& relPath)
{
    for (const auto& r : requests) {
        if (r.value("method", "") == method && r.value("rel_path", "") == relPath) {
            return true;
        }
    }
    return false;
}

std::optional<client::JobSummary> recoverJobAfter(uint32_t jobId)
{
    auto rows = connectClient().jobs();
    if (!rows) {
        return std::nullopt;
    }
    for (const auto& r : *rows) {
        if (r.operation == "recover" && r.id > jobId) {
            return r;
        }
    }
    return std::nullopt;
}

class DaemonCrash : public ProxmoxTest {
protected:
    // Submit `zenithctl --no-wait clone` as zenith-auto; the job id.
    uint32_t submitClone(const std::string& name, uint32_t vmid)
    {
        auto r = zenithctlAuto(
            {"--no-wait", "clone", kTemplate, name, "--vmid", std::to_string(vmid), "--ip", "auto", "--cores", "1",
             "--mem", "512"});
        EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
        auto submitted = lastJson(r.out);
        EXPECT_EQ(submitted.value("event", ""), "submitted") << r.out;
        return submitted.value("job", 0u);
    }

    // After the restart: the recovery job done, the guest gone, the machine
    // not listed (also not a moment later, from the cluster listing), the
    // job failed by the restart, the address free, the DELETE on the cluster.
    void expectRolledBack(const std::string& name, uint32_t vmid, uint32_t job, const std::string& address,
                          uint64_t seqBefore)
    {
        std::optional<client::JobSummary> recovery;
        const bool recovered = waitFor(
            [&] {
                recovery = recoverJobAfter(job);
                return recovery && recovery->state == "done";
            },
            60s);
        EXPECT_TRUE(recovered) << "no finished recover job within 60 s after the restart"
                               << (recovery ? " (state " + recovery->state + ")" : std::string(" (none listed)"))
                               << evidence(name) << "daemon log (recover):\n"
                               << daemonLogLines("recover");

        EXPECT_TRUE(waitFor([&] { return simGuest(vmid).is_null(); }, 60s))
            << "CT " << vmid << " is still on the cluster: " << simGuest(vmid).dump() << evidence(name);
        EXPECT_FALSE(simVmidByName(name).has_value()) << evidence(name);

        EXPECT_FALSE(machineOnBus(name)) << name << " is " << machineState(name) << evidence(name);
        EXPECT_TRUE(machineRowAsAuto(name).is_null()) << machineRowAsAuto(name).dump();
        std::this_thread::sleep_for(3s);
        EXPECT_FALSE(machineOnBus(name)) << name << " came back as " << machineState(name) << evidence(name);
        EXPECT_TRUE(machineRowAsAuto(name).is_null()) << machineRowAsAuto(name).dump() << evidence(name);
        EXPECT_FALSE(simVmidByName(name).has_value()) << evidence(name);

        // The job that ran: listed as failed. Its object is not back on the
        // bus (a restart publishes only unfinished jobs; ListJobs keeps the
        // history), so its message is read from the daemon's log.
        std::optional<client::JobSummary> row;
        auto rows = connectClient().jobs();
        ASSERT_TRUE(rows.has_value()) << rows.error().name << ": " << rows.error().message;
        for (const auto& r : *rows) {
            if (r.id == job) {
                row = r;
            }
        }
        ASSERT_TRUE(row.has_value()) << "job " << job << " is not listed after the restart";
        EXPECT_EQ(row->operation, "clone");
        EXPECT_EQ(row->machine, name);
        EXPECT_EQ(row->state, "failed");
        if (auto status = connectClient().job(job).status()) {
            EXPECT_NE(status->errorMessage.find("the daemon stopped while the job ran"), std::string::npos)
                << status->errorMessage;
            recordClientText(status->errorMessage);
        }
        EXPECT_NE(daemonLogLines(name).find(
                      fmt::format("job {} (clone) was interrupted by a daemon restart; marked failed", job)),
                  std::string::npos)
            << evidence(name);

        EXPECT_EQ(leaseOf(name), std::nullopt);
        for (const auto& l : poolLeases()) {
            EXPECT_NE(hostPart(l.address), address) << address << " is still leased, to " << l.machine;
        }

        const auto requests = simRequestsSince(seqBefore);
        EXPECT_TRUE(requested(requests, "DELETE", fmt::format("/nodes/pve1/lxc/{}", vmid)))
            << "the cluster saw no DELETE of CT " << vmid << evidence(name);
        EXPECT_NE(daemonLogLines(name).find("rolled back half-made machine " + name), std::string::npos)
            << evidence(name);

        // The template the clone had locked (`disk`) is free for the next.
        auto source = simGuest(9000);
        ASSERT_TRUE(source.is_object());
        EXPECT_TRUE(source["lock"].is_null()) << source.dump();
    }
};

// Killed while the cluster's clone task runs: the daemon had checkpointed
// the vmid, the node and the task's UPID, and polled the task.
TEST_F(DaemonCrash, KilledMidCloneRestartRollsTheGuestBack)
{
    const std::string name = "crash-pod";
    const uint32_t vmid = 9191;
    MachineCleanup cleanup(name);
    DaemonRestart daemon;

    const std::string address = nextFreeAddress();
    const uint64_t seqBefore = simLastRequestSeq();
    uint32_t job = 0;
    {
        // A linked clone's task is 0.3 s of Proxmox time: 3 s here.
        SimSpeed slow(10.0);
        job = submitClone(name, vmid);
        ASSERT_NE(job, 0u);

        std::optional<std::string> upid;
        const bool polling = waitFor(
            [&] {
                const auto requests = simRequestsSince(seqBefore);
                upid = upidOf(requests, "POST", "/nodes/pve1/lxc/9000/clone");
                return upid && statusPolled(requests, *upid);
            },
            30s);
        ASSERT_TRUE(polling) << "the daemon did not start the clone and poll its task within 30 s"
                             << evidence(name);
        EXPECT_EQ(leaseOf(name), address);

        ASSERT_NO_FATAL_FAILURE(daemon.kill());
        slow.restore();
        // Mid-clone: the task has not ended, the new CT is still locked.
        auto guest = simGuest(vmid);
        ASSERT_TRUE(guest.is_object()) << "no CT " << vmid << " after the kill" << evidence(name);
        EXPECT_EQ(guest.value("lock", json()).is_string() ? guest["lock"].get<std::string>() : "", "create")
            << "the kill came after the clone task ended: " << guest.dump();
    }

    ASSERT_NO_THROW(daemon.start());
    expectRolledBack(name, vmid, job, address, seqBefore);
}

// Killed after the clone task ended and before the start: the daemon's
// config PUT of the new CT waits for its config lock (a lock_timeout fault,
// set once the clone call returned: 10 s of waiting) when the kill comes.
// The guest is whole and stopped, and still half a machine.
TEST_F(DaemonCrash, KilledBetweenCloneAndStartRestartRollsTheGuestBack)
{
    const std::string name = "crash-pod-start";
    const uint32_t vmid = 9192;
    MachineCleanup cleanup(name);
    DaemonRestart daemon;

    const std::string address = nextFreeAddress();
    const uint64_t seqBefore = simLastRequestSeq();
    const std::string configPath = fmt::format("/nodes/pve1/lxc/{}/config", vmid);
    const std::string startPath = fmt::format("/nodes/pve1/lxc/{}/status/start", vmid);
    uint32_t job = 0;
    {
        // The clone's task: 1.5 s at first (the fault must be in before its
        // end), then normal Proxmox time, so the lock wait is 10 s.
        SimSpeed slow(5.0);
        FaultsCleared clearFaults;
        job = submitClone(name, vmid);
        ASSERT_NE(job, 0u);
        ASSERT_TRUE(waitFor([&] { return upidOf(simRequestsSince(seqBefore), "POST", "/nodes/pve1/lxc/9000/clone")
                                          .has_value(); },
                            30s))
            << "the daemon did not start the clone within 30 s" << evidence(name);
        simFault({{"lock_timeout", {{"vmid", vmid}, {"count", 1}}}});
        simPost("/config", {{"speed", 1.0}});
        ASSERT_FALSE(requested(simRequestsSince(seqBefore), "PUT", configPath))
            << "the clone ended before the fault was set" << evidence(name);

        // Taken: the PUT waits on the lock now.
        const bool waiting = waitFor(
            [&] { return !simGet("/faults").value("lock_timeout", json::object()).contains(std::to_string(vmid)); },
            30s);
        ASSERT_TRUE(waiting) << "the lock fault for " << vmid << " was not taken within 30 s" << evidence(name);

        ASSERT_NO_FATAL_FAILURE(daemon.kill());
        slow.restore();
        auto guest = simGuest(vmid);
        ASSERT_TRUE(guest.is_object()) << "no CT " << vmid << " after the kill" << evidence(name);
        EXPECT_TRUE(guest["lock"].is_null()) << "the clone task should have ended: " << guest.dump();
        EXPECT_EQ(guest.value("status", ""), "stopped") << guest.dump();
        const auto requests = simRequestsSince(seqBefore);
        EXPECT_FALSE(requested(requests, "PUT", configPath)) << "the config PUT ended before the kill" << evidence(name);
        EXPECT_FALSE(requested(requests, "POST", startPath)) << "the start came before the kill" << evidence(name);
    }

    ASSERT_NO_THROW(daemon.start());
    expectRolledBack(name, vmid, job, address, seqBefore);
}

}  // namespace
}  // namespace zenith::bustest::pve
