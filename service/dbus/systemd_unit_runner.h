// drivers::nspawn::MachineRunner for a host whose PID 1 is systemd: the
// machine runs as systemd-nspawn@NAME.service, started and stopped through
// org.freedesktop.systemd1 on the daemon's own connection. It lives in
// service/dbus because it speaks D-Bus; the driver only sees MachineRunner.
// Calls come from engine worker threads and hop to the loop (LoopCall).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <sdbus-c++/IConnection.h>
#include <sdbus-c++/IProxy.h>

#include "dbus/event_loop.h"
#include "drivers/nspawn/machine_runner.h"

namespace zenith::dbus {

std::string nspawnUnitName(const std::string& machine);
// "systemd-nspawn@NAME.service" -> NAME; "" for any other unit.
std::string machineOfNspawnUnit(const std::string& unit);

class SystemdUnitRunner final : public drivers::nspawn::MachineRunner {
public:
    // On the loop thread, before any worker starts.
    SystemdUnitRunner(sdbus::IConnection& connection, EventLoop& loop);
    ~SystemdUnitRunner() override;

    core::Result<void> start(const drivers::nspawn::RunTarget& t, std::stop_token cancel,
                             std::chrono::seconds timeout) override;
    core::Result<void> stop(const drivers::nspawn::RunTarget& t, std::chrono::seconds timeout) override;
    bool isRunning(const drivers::nspawn::RunTarget& t) override;
    int leaderPid(const drivers::nspawn::RunTarget& t) override;
    void setExitListener(std::function<void(const std::string& name)> listener) override;

private:
    using JobDone = std::function<void(core::Result<void>)>;
    // Loop thread: `method` (StartUnit|StopUnit) and wait for its job.
    void runUnitJob(const std::string& method, const std::string& unit, JobDone done);
    void onJobRemoved(const std::string& jobPath, const std::string& unit, const std::string& result);
    void onUnitPropertiesChanged(const std::string& path, const std::map<std::string, sdbus::Variant>& changed);
    core::Result<void> unitJob(const std::string& method, const std::string& machine, std::stop_token cancel,
                               std::chrono::seconds timeout);

    sdbus::IConnection& connection_;
    EventLoop& loop_;
    std::unique_ptr<sdbus::IProxy> systemd_;
    sdbus::Slot unitChanges_;
    // Loop thread only.
    std::map<std::string, JobDone> waiting_;             // job path -> continuation
    std::map<std::string, std::string> finishedEarly_;   // job path -> result, JobRemoved before our reply
    std::mutex listenerMu_;
    std::function<void(const std::string&)> exitListener_;
};

}  // namespace zenith::dbus
