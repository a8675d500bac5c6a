// MachineRunner for a host whose PID 1 is systemd: the machine runs as
// systemd-nspawn@NAME.service, started and stopped through
// org.freedesktop.systemd1. A client of systemd's bus, it lives with the
// driver that needs it (service/dbus is our own bus face only); the driver
// only sees MachineRunner.
//
// It has a connection and an event loop thread of its own, so it answers
// whoever asks (engine workers, and start-up recovery, which runs before the
// daemon's own loop does) without depending on the daemon's loop. Calls hop
// to that thread (LoopCall), because sd-bus is not thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <sdbus-c++/IConnection.h>
#include <sdbus-c++/IProxy.h>

#include "bus_loop/event_loop.h"
#include "drivers/nspawn/machine_runner.h"

namespace zenith::drivers::nspawn {

std::string nspawnUnitName(const std::string& machine);
// "systemd-nspawn@NAME.service" -> NAME; "" for any other unit.
std::string machineOfNspawnUnit(const std::string& unit);

// The unit properties that carry a machine's limits: CPUQuotaPerSecUSec and
// MemoryMax, "infinity" (UINT64_MAX) for 0, so that a limit dropped since the
// last start does not linger.
std::vector<sdbus::Struct<std::string, sdbus::Variant>> nspawnUnitLimits(const RunTarget& t);

class SystemdUnitRunner final : public MachineRunner {
public:
    // `connection`: the bus where org.freedesktop.systemd1 is (the system
    // bus). The runner drives it from a thread of its own from now on.
    static core::Result<std::shared_ptr<SystemdUnitRunner>> create(std::unique_ptr<sdbus::IConnection> connection);
    ~SystemdUnitRunner() override;

    // Set as unit properties (CPUQuotaPerSecUSec, MemoryMax) before each start.
    LimitSupport limitSupport() const override { return {true, true}; }

    core::Result<void> start(const RunTarget& t, std::stop_token cancel,
                             std::chrono::seconds timeout) override;
    core::Result<void> stop(const RunTarget& t, std::chrono::seconds timeout) override;
    core::Result<void> kill(const RunTarget& t) override;
    bool isRunning(const RunTarget& t) override;
    int leaderPid(const RunTarget& t) override;
    void setExitListener(std::function<void(const std::string& name)> listener) override;

private:
    SystemdUnitRunner(std::unique_ptr<sdbus::IConnection> connection, std::unique_ptr<busloop::EventLoop> loop);
    using JobDone = std::function<void(core::Result<void>)>;
    // Loop thread: `method` (StartUnit|StopUnit) and wait for its job;
    // StartUnit sets the unit's limits first.
    void runUnitJob(const std::string& method, const std::string& unit,
                    std::vector<sdbus::Struct<std::string, sdbus::Variant>> limits, JobDone done);
    void callUnitMethod(const std::string& method, const std::string& unit, JobDone done);
    void onJobRemoved(const std::string& jobPath, const std::string& unit, const std::string& result);
    void onUnitPropertiesChanged(const std::string& path, const std::map<std::string, sdbus::Variant>& changed);
    core::Result<void> unitJob(const std::string& method, const RunTarget& t, std::stop_token cancel,
                               std::chrono::seconds timeout);

    std::unique_ptr<sdbus::IConnection> connection_;
    std::unique_ptr<busloop::EventLoop> loop_;
    std::unique_ptr<sdbus::IProxy> systemd_;
    sdbus::Slot unitChanges_;
    std::thread thread_;
    // Loop thread only.
    std::map<std::string, JobDone> waiting_;             // job path -> continuation
    std::map<std::string, std::string> finishedEarly_;   // job path -> result, JobRemoved before our reply
    std::mutex listenerMu_;
    std::function<void(const std::string&)> exitListener_;
};

}  // namespace zenith::drivers::nspawn
