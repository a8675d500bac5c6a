// How an nspawn machine is run. On a systemd host: systemd-nspawn@NAME.service
// through org.freedesktop.systemd1 (drivers/nspawn/systemd_unit_runner.*).
// Where PID 1 is not systemd (CI, containers): the daemon supervises
// `systemd-nspawn --boot --keep-unit --register=no` itself
// (drivers/nspawn/supervised_runner.*).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <stop_token>
#include <string>

#include "core/error.h"

namespace zenith::drivers::nspawn {

struct RunTarget {
    std::string name;        // machine name
    std::string rootfs;      // <machines-dir>/<name>
    std::string settings;    // <machines-dir>/<name>.nspawn
    // Resource limits, applied where the runner can (a systemd scope);
    // 0 = unlimited.
    uint32_t cpuQuota = 0;   // percent, 100 = one core
    uint64_t memoryMax = 0;  // bytes
    // Its link on the host side and the bridge it joins (host_link.h);
    // empty: none of our naming (systemd-nspawn's own veth, if any).
    std::string hostLink;
    std::string bridge;
};

// Which limits a runner enforces; a spec asking for one it cannot is refused.
struct LimitSupport {
    bool cpuQuota = false;
    bool memoryMax = false;
};

class MachineRunner {
public:
    virtual ~MachineRunner() = default;
    virtual LimitSupport limitSupport() const { return {}; }
    // Boot and return once the machine's init reported ready (or fail / time out / cancel).
    virtual core::Result<void> start(const RunTarget& t, std::stop_token cancel, std::chrono::seconds timeout) = 0;
    // Clean poweroff; after `timeout` kill. Returns once it is gone.
    virtual core::Result<void> stop(const RunTarget& t, std::chrono::seconds timeout) = 0;
    // SIGKILL at once, no poweroff (its disk is about to be deleted, so
    // nothing in it needs to be shut down cleanly). Returns once it is gone.
    virtual core::Result<void> kill(const RunTarget& t) = 0;
    virtual bool isRunning(const RunTarget& t) = 0;
    // PID of the container's init (for tests and nsenter), 0 if not running.
    virtual int leaderPid(const RunTarget& t) = 0;
    // Called from any thread when a machine stops on its own.
    virtual void setExitListener(std::function<void(const std::string& name)> listener) = 0;
};

}  // namespace zenith::drivers::nspawn
