// One org.zenith.Provisioner.Job object per job, at jobObjectPath(id).
// State, Cancelable and the error properties change at once; Progress, Step
// and Message (and ProgressChanged) are coalesced to one emission per 100 ms
// with the final values always sent before Completed.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <sdbus-c++/sdbus-c++.h>

#include "core/job.h"
#include "dbus/caller.h"
#include "bus_loop/event_loop.h"
#include "dbus/pending_reply.h"
#include "dbus/progress_coalescer.h"
#include "zenith/glue/job_adaptor.h"

namespace zenith::dbus {

inline constexpr const char* kJobInterface = "org.zenith.Provisioner.Job";

// Names of the immediately signalled properties (State, Cancelable,
// ErrorName, ErrorMessage) that differ.
std::vector<std::string> changedJobStateProperties(const core::JobSnapshot& before, const core::JobSnapshot& after);
// The same for the coalesced ones (Progress, Step, Message).
std::vector<std::string> changedJobProgressProperties(const core::JobSnapshot& before, const core::JobSnapshot& after);
// Snapshots travel through a queue, but one may also be read directly from
// the engine: never let an older one move a job backwards.
core::JobSnapshot mergeJobSnapshot(const core::JobSnapshot& current, const core::JobSnapshot& incoming);

class JobObject final : public sdbus::AdaptorInterfaces<org::zenith::Provisioner::Job_adaptor,
                                                        sdbus::Properties_adaptor, sdbus::ManagedObject_adaptor> {
public:
    using CancelHandler = std::function<void(uint32_t jobId, std::shared_ptr<PendingReply<>> reply,
                                             core::Result<CallerInfo> caller)>;

    JobObject(sdbus::IConnection& connection, busloop::EventLoop& loop, core::JobSnapshot snapshot, CancelHandler onCancel);
    ~JobObject();

    void update(const core::JobSnapshot& snapshot);
    // Final state: flushes held progress, then emits Completed.
    void finish(const core::JobSnapshot& snapshot);
    const core::JobSnapshot& snapshot() const { return current_; }
    bool finished() const { return completed_; }
    // Keeps the removal timer alive as long as the object.
    void setExpiry(busloop::EventLoop::Timer timer) { expiry_ = std::move(timer); }

private:
    void emitProgress();

    void Cancel(sdbus::Result<>&& result) override;
    uint32_t Id() override { return current_.id; }
    std::string Operation() override { return current_.operation; }
    std::string Machine() override { return current_.machine; }
    std::string State() override { return std::string(core::toString(current_.state)); }
    double Progress() override { return current_.progress; }
    std::string Step() override { return current_.step; }
    std::string Message() override { return current_.message; }
    uint32_t StartedByUID() override { return current_.startedByUid; }
    bool Cancelable() override { return current_.cancelable && !core::isFinished(current_.state); }
    std::string ErrorName() override;
    std::string ErrorMessage() override { return current_.errorMessage; }

    busloop::EventLoop& loop_;
    CancelHandler onCancel_;
    core::JobSnapshot current_;
    core::JobSnapshot shown_;  // progress/step/message as last signalled
    bool progressSignalled_ = false;
    bool completed_ = false;
    ProgressCoalescer coalescer_;
    busloop::EventLoop::Timer progressTimer_;
    busloop::EventLoop::Timer expiry_;
};

}  // namespace zenith::dbus
