#include "dbus/provisioner_service.h"

#include "core/log.h"
#include "core/names.h"

namespace zenith::dbus {

ProvisionerService::ProvisionerService(sdbus::IConnection& connection, busloop::EventLoop& loop, core::Engine& engine,
                                       Authorizer& authorizer, std::chrono::microseconds finishedJobLinger)
    : connection_(connection),
      loop_(loop),
      engine_(engine),
      linger_(finishedJobLinger),
      gate_(engine, authorizer, [this](const core::Submitted& s) { onSubmitted(s); }, &loop)
{
    manager_ = std::make_unique<ManagerObject>(connection, engine, gate_);
}

ProvisionerService::~ProvisionerService()
{
    // Objects go before the manager; nothing is announced at shutdown
    // (clients see the name vanish, which says it all).
    jobs_.clear();
    machines_.clear();
    manager_.reset();
}

void ProvisionerService::publishAll()
{
    loop_.runPosted();
    for (const auto& m : engine_.machines())
        showMachine(m);
    for (const auto& j : engine_.jobs())
        if (!core::isFinished(j.state))
            showJob(j, false);
}

void ProvisionerService::prepareShutdown()
{
    gate_.flushSuppressed();
}

// ---- engine events: copy, hop to the loop ----

void ProvisionerService::jobAdded(const core::JobSnapshot& job)
{
    loop_.post([this, job] { showJob(job, false); });
}

void ProvisionerService::jobChanged(const core::JobSnapshot& job)
{
    loop_.post([this, job] { showJob(job, false); });
}

void ProvisionerService::jobFinished(const core::JobSnapshot& job)
{
    loop_.post([this, job] { showJob(job, true); });
}

void ProvisionerService::machineAdded(const core::MachineRecord& m)
{
    loop_.post([this, m] { showMachine(m); });
}

void ProvisionerService::machineChanged(const core::MachineRecord& m)
{
    loop_.post([this, m] { showMachine(m); });
}

void ProvisionerService::machineRemoved(const core::MachineRecord& m)
{
    loop_.post([this, m] { dropMachine(m); });
}

// ---- on the loop ----

void ProvisionerService::onSubmitted(const core::Submitted& s)
{
    // The engine announced the job and the machine before submit()
    // returned; apply that now so the objects exist when the caller gets
    // their paths. Reading the engine covers an event that is still on its
    // way from a worker thread.
    loop_.runPosted();
    if (!jobs_.contains(s.jobId))
        if (auto j = engine_.job(s.jobId))
            showJob(*j, false);
    if (!machines_.contains(s.machine))
        if (auto m = engine_.machine(s.machine))
            showMachine(*m);
}

void ProvisionerService::showJob(const core::JobSnapshot& job, bool final)
{
    auto it = jobs_.find(job.id);
    try {
        if (it == jobs_.end()) {
            auto obj = std::make_unique<JobObject>(
                connection_, loop_, job,
                [this](uint32_t id, std::shared_ptr<PendingReply<>> reply, core::Result<CallerInfo> caller) {
                    cancelFromJob(id, std::move(reply), std::move(caller));
                });
            it = jobs_.emplace(job.id, std::move(obj)).first;
            it->second->emitInterfacesAddedSignal();
            const sdbus::ObjectPath path(core::jobObjectPath(job.id));
            manager_->emitJobNew(job.id, path);
            log::debug({.uid = job.startedByUid, .machine = job.machine, .job = job.id}, "job object {} published",
                       std::string(path));
        } else if (!final) {
            it->second->update(job);
        }
        if (!final || it->second->finished())
            return;
        JobObject& obj = *it->second;
        obj.finish(job);
        const auto& snap = obj.snapshot();
        manager_->emitJobRemoved(snap.id, sdbus::ObjectPath(core::jobObjectPath(snap.id)), std::string(snap.result()));
        log::info({.uid = snap.startedByUid, .machine = snap.machine, .job = snap.id}, "job {} {}{}{}", snap.id,
                  snap.result(), snap.errorMessage.empty() ? "" : ": ", snap.errorMessage);
        const uint32_t id = snap.id;
        obj.setExpiry(loop_.addTimer(linger_, [this, id] { dropJob(id); }));
    } catch (const sdbus::Error& e) {
        log::error({.machine = job.machine, .job = job.id}, "cannot publish job {}: {}", job.id, e.getMessage());
    }
}

void ProvisionerService::dropJob(uint32_t id)
{
    auto it = jobs_.find(id);
    if (it == jobs_.end())
        return;
    try {
        it->second->emitInterfacesRemovedSignal();
    } catch (const sdbus::Error& e) {
        log::warning({.job = id}, "cannot announce removal of job {}: {}", id, e.getMessage());
    }
    jobs_.erase(it);
}

void ProvisionerService::showMachine(const core::MachineRecord& m)
{
    try {
        auto it = machines_.find(m.name);
        if (it != machines_.end()) {
            it->second->update(m);
            return;
        }
        auto obj = std::make_unique<MachineObject>(connection_, m);
        obj->emitInterfacesAddedSignal();
        machines_.emplace(m.name, std::move(obj));
        manager_->emitMachineNew(m.name, sdbus::ObjectPath(core::machineObjectPath(m.name)));
    } catch (const sdbus::Error& e) {
        log::error({.machine = m.name}, "cannot publish machine: {}", e.getMessage());
    }
}

void ProvisionerService::dropMachine(const core::MachineRecord& m)
{
    auto it = machines_.find(m.name);
    if (it == machines_.end())
        return;
    try {
        it->second->emitInterfacesRemovedSignal();
        manager_->emitMachineRemoved(m.name, sdbus::ObjectPath(core::machineObjectPath(m.name)));
    } catch (const sdbus::Error& e) {
        log::warning({.machine = m.name}, "cannot announce removal of machine: {}", e.getMessage());
    }
    machines_.erase(it);
}

void ProvisionerService::cancelFromJob(uint32_t id, std::shared_ptr<PendingReply<>> reply,
                                       core::Result<CallerInfo> caller)
{
    if (!caller)
        return reply->fail(caller.error());
    log::debug({.uid = caller->uid, .job = id}, "Job.Cancel from {}", caller->sender);
    gate_.cancel(*caller, id, [reply](core::Result<void> r) {
        if (!r)
            return reply->fail(r.error());
        reply->ok();
    });
}

}  // namespace zenith::dbus
