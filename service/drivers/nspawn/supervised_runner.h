// Runs machines where PID 1 is not systemd: the daemon starts
// `systemd-nspawn --boot --keep-unit --register=no` itself, in its own
// session and its own cgroups (limits, and a cgroup the container's root may
// write in its user namespace), so the machine outlives a daemon restart,
// and records it in <state-dir>/run/<name>.pid so the next daemon adopts it.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "drivers/nspawn/machine_cgroups.h"
#include "drivers/nspawn/machine_runner.h"

namespace zenith::drivers::nspawn {

// zenith-console-log in the directory of this process's executable.
std::string defaultConsoleLogHelper();

class SupervisedRunner final : public MachineRunner {
public:
    // `consoleLogHelper`: the zenith-console-log binary (default: next to
    // this program's own executable).
    explicit SupervisedRunner(std::string stateDir, MachineCgroups cgroups = MachineCgroups::forThisProcess(),
                              std::string consoleLogHelper = defaultConsoleLogHelper());
    // Stops watching; the machines keep running (a restarted daemon adopts them).
    ~SupervisedRunner() override;

    // cpu_quota and memory_max: through the machine's own cgroups, where
    // this host has the controllers.
    LimitSupport limitSupport() const override { return cgroups_.support(); }
    core::Result<void> start(const RunTarget& t, std::stop_token cancel, std::chrono::seconds timeout) override;
    core::Result<void> stop(const RunTarget& t, std::chrono::seconds timeout) override;
    core::Result<void> kill(const RunTarget& t) override;
    bool isRunning(const RunTarget& t) override;
    int leaderPid(const RunTarget& t) override;
    void setExitListener(std::function<void(const std::string& name)> listener) override;

    std::string pidFile(const std::string& name) const;
    std::string consoleLog(const std::string& name) const;

private:
    struct Instance;

    // Live (adopting it from the pid file, or from its command line when that
    // file is missing and `rootfs` is given), or null.
    std::shared_ptr<Instance> find(const std::string& name, const std::string& rootfs = {});
    std::shared_ptr<Instance> watch(const std::string& name, pid_t pid, uint64_t startTime, bool ourChild,
                                    pid_t logger = 0);
    void watcherLoop(std::shared_ptr<Instance> inst);
    bool waitExited(const std::shared_ptr<Instance>& inst, std::chrono::milliseconds timeout);
    void kill(const std::shared_ptr<Instance>& inst, std::chrono::seconds grace);
    void killAtOnce(const std::shared_ptr<Instance>& inst);
    std::string runDir() const;

    std::string stateDir_;
    MachineCgroups cgroups_;
    std::string consoleLogHelper_;
    int shutdownFd_ = -1;
    std::mutex mutex_;
    std::condition_variable exited_;
    std::map<std::string, std::shared_ptr<Instance>> instances_;
    std::vector<std::thread> retired_;  // watchers of exited instances, joined at the end
    std::function<void(const std::string&)> listener_;
};

std::shared_ptr<MachineRunner> makeSupervisedRunner(std::string stateDir,
                                                    std::string consoleLogHelper = defaultConsoleLogHelper());

}  // namespace zenith::drivers::nspawn
