// The bus facade: mirrors the engine on the bus. Engine events arrive on
// worker threads; each is copied and posted to the loop, which then creates,
// updates or removes the Machine and Job objects and emits the signals of
// the contract. A finished job stays on the bus for kFinishedJobLinger.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include <sdbus-c++/IConnection.h>

#include "core/engine.h"
#include "dbus/authorizer.h"
#include "bus_loop/event_loop.h"
#include "dbus/job_object.h"
#include "dbus/machine_object.h"
#include "dbus/manager_object.h"
#include "dbus/request_gate.h"

namespace zenith::dbus {

inline constexpr std::chrono::seconds kFinishedJobLinger{30};

class ProvisionerService final : public core::EngineObserver {
public:
    ProvisionerService(sdbus::IConnection& connection, busloop::EventLoop& loop, core::Engine& engine, Authorizer& authorizer,
                       std::chrono::microseconds finishedJobLinger = kFinishedJobLinger);
    ~ProvisionerService() override;

    // Loop thread, after engine.recover(): puts what the engine knows on the
    // bus (events from recover() itself are applied too).
    void publishAll();
    // Loop thread, when the loop has stopped and before the engine goes:
    // the last writes that need the engine.
    void prepareShutdown();

    // core::EngineObserver: any thread.
    void jobAdded(const core::JobSnapshot& job) override;
    void jobChanged(const core::JobSnapshot& job) override;
    void jobFinished(const core::JobSnapshot& job) override;
    void machineAdded(const core::MachineRecord& m) override;
    void machineChanged(const core::MachineRecord& m) override;
    void machineRemoved(const core::MachineRecord& m) override;

private:
    void onSubmitted(const core::Submitted& s);
    void showJob(const core::JobSnapshot& job, bool final);
    void dropJob(uint32_t id);
    void showMachine(const core::MachineRecord& m);
    void dropMachine(const core::MachineRecord& m);
    void cancelFromJob(uint32_t id, std::shared_ptr<PendingReply<>> reply, core::Result<CallerInfo> caller);

    sdbus::IConnection& connection_;
    busloop::EventLoop& loop_;
    core::Engine& engine_;
    std::chrono::microseconds linger_;
    RequestGate gate_;
    std::unique_ptr<ManagerObject> manager_;
    std::map<std::string, std::unique_ptr<MachineObject>> machines_;
    std::map<uint32_t, std::unique_ptr<JobObject>> jobs_;
};

}  // namespace zenith::dbus
