// The engine's public face: construction, submit, cancel and the queries the
// bus facade answers from. Requests: engine_requests.cpp; a job's run:
// engine_jobs.cpp; start-up recovery: engine_recovery.cpp.
#include "core/engine.h"

#include "core/engine_impl.h"
#include "core/flags.h"
#include "core/text_quote.h"

namespace zenith::core {

std::string_view Request::actionVerb() const
{
    switch (operation) {
    case Operation::Create: return "create";
    case Operation::Clone: return "clone";
    case Operation::Destroy: return "destroy";
    case Operation::Start:
    case Operation::Stop: return "power";
    case Operation::Template: return "template";
    }
    return "create";
}

Engine::Engine(Config config, Registry& registry, std::vector<std::unique_ptr<drivers::Driver>> drivers)
    : impl_(std::make_unique<Impl>(std::move(config), registry))
{
    for (auto& d : drivers) {
        std::string id(d->id());
        d->setStateListener([impl = impl_.get()](const std::string& name, MachineState state) {
            // A machine changed on its own (its container exited). A job that
            // holds the machine reports the state itself when it ends.
            {
                std::lock_guard lock(impl->mu);
                if (impl->busy.contains(name))
                    return;
            }
            impl->setMachineState(name, state);
        });
        impl_->drivers.emplace(std::move(id), std::move(d));
    }
}

Engine::~Engine()
{
    std::map<uint32_t, std::jthread> workers;
    {
        std::lock_guard lock(impl_->mu);
        for (auto& [id, e] : impl_->jobs)
            if (!isFinished(e->snap.state))
                e->stop.request_stop();
        workers.swap(impl_->workers);
    }
    // jthread joins on destruction; done outside the lock because finishing
    // jobs take it.
    workers.clear();
}

std::vector<uint32_t> Engine::shutdown(std::chrono::milliseconds timeout)
{
    Impl& I = *impl_;
    std::vector<std::shared_ptr<JobEntry>> stuck;
    {
        std::unique_lock lock(I.mu);
        for (auto& [id, e] : I.jobs)
            if (!isFinished(e->snap.state))
                e->stop.request_stop();
        if (I.jobEnded.wait_for(lock, timeout, [&] { return I.activeJobs == 0; }))
            return {};
        for (auto& [id, e] : I.jobs)
            if (!isFinished(e->snap.state)) {
                e->abandoned = true;
                stuck.push_back(e);
            }
    }
    std::vector<uint32_t> ids;
    for (auto& e : stuck) {
        JobSnapshot s;
        {
            std::lock_guard lock(I.mu);
            s = e->snap;
        }
        s.state = JobState::Failed;
        s.cancelable = false;
        s.errorName = std::string(errorCodeName(ErrorCode::BackendFailed));
        s.errorMessage = fmt::format("the daemon stopped while the job was stuck (it did not end within {} ms of "
                                     "being cancelled)",
                                     timeout.count());
        s.message = fmt::format("{} of {} failed: {}", toString(s.operation), s.machine, s.errorMessage);
        s.finishedUsec = nowUsec();
        I.persistJob(s);
        I.auditJob(s, e->request, s.result(), s.errorMessage);
        log::error({.uid = s.startedByUid, .machine = s.machine, .job = s.id}, "job {} ({}) is stuck; recorded as failed",
                   s.id, toString(s.operation));
        ids.push_back(s.id);
    }
    return ids;
}

void Engine::setObserver(EngineObserver* observer)
{
    impl_->observer = observer;
}
Result<Submitted> Engine::submit(const Request& request, uint32_t uid)
{
    Impl& I = *impl_;
    drivers::Driver* d = I.driver(request.backend);
    if (!d)
        return fail(ErrorCode::BackendUnavailable, fmt::format("backend '{}' is not configured", request.backend));
    const bool dryRun = request.flags & kFlagDryRun;
    const bool makes = request.operation == Operation::Create || request.operation == Operation::Clone;

    auto e = std::make_shared<JobEntry>();
    std::optional<MachineRecord> added;
    std::optional<MachineRecord> changed;
    {
        std::lock_guard lock(I.mu);
        I.reapWorkers();
        auto existing = I.machines.find(request.machine);
        if (makes && existing != I.machines.end())
            return fail(ErrorCode::MachineExists, fmt::format("machine '{}' already exists", request.machine));
        if (!makes && existing == I.machines.end())
            return fail(ErrorCode::NoSuchMachine, fmt::format("no machine '{}'", request.machine));
        if (I.busy.contains(request.machine))
            return fail(ErrorCode::Busy, fmt::format("machine '{}' is busy with another job", request.machine));
        if (!request.source.empty()) {
            if (!I.machines.contains(request.source))
                return fail(ErrorCode::NoSuchMachine, fmt::format("no machine '{}'", request.source));
            if (I.busy.contains(request.source))
                return fail(ErrorCode::Busy, fmt::format("machine '{}' is busy with another job", request.source));
        }
        if (request.operation == Operation::Destroy && !(request.flags & kFlagForce) &&
            (existing->second.state == MachineState::Running || existing->second.state == MachineState::Starting))
            return fail(ErrorCode::Busy,
                        fmt::format("machine '{}' is running; stop it first or destroy with FORCE", request.machine));
        if (!dryRun && I.activeJobs >= I.config.maxJobs)
            return fail(ErrorCode::LimitsExceeded,
                        fmt::format("too many ongoing operations (limit {})", I.config.maxJobs));

        JobSnapshot& s = e->snap;
        s.id = I.nextJobId++;
        s.operation = request.operation;
        s.machine = request.machine;
        s.startedByUid = uid;
        s.startedUsec = nowUsec();
        e->request = request;

        if (dryRun) {
            s.state = JobState::Done;
            s.progress = 1.0;
            s.step = "plan";
            s.message = request.operation == Operation::Create || request.operation == Operation::Clone
                            ? toValidUtf8(d->plan(request.machine, request.spec))
                            : fmt::format("would {} machine '{}' ({})", toString(request.operation),
                                          request.machine, request.backend);
            s.cancelable = false;
            s.finishedUsec = s.startedUsec;
            I.jobs[s.id] = e;
            I.trimFinishedJobs();
        } else {
            s.state = JobState::Queued;
            s.step = "queued";
            s.message = fmt::format("{} of {} queued", toString(request.operation), request.machine);
            s.cancelable = true;
            I.jobs[s.id] = e;
            I.busy.insert(request.machine);
            if (!request.source.empty())
                I.busy.insert(request.source);
            ++I.activeJobs;

            if (makes) {
                MachineRecord m;
                m.name = request.machine;
                m.backend = request.backend;
                m.kind = std::string(d->kind());
                m.state = MachineState::Creating;
                m.distro = request.spec.distro.value_or("");
                m.release = request.spec.release.value_or("");
                m.arch = request.spec.arch.value_or("");
                m.cpuQuota = request.spec.cpuQuota.value_or(0);
                m.memoryMax = request.spec.memoryMax.value_or(0);
                m.node = request.spec.node.value_or("");
                m.vmid = request.spec.vmid.value_or(0);
                m.createdByUid = uid;
                m.specJson = specToJson(request.spec);
                I.machines[m.name] = m;
                added = m;
            } else {
                auto& m = existing->second;
                MachineState transitional = m.state;
                switch (request.operation) {
                case Operation::Destroy: transitional = MachineState::Destroying; break;
                case Operation::Start: transitional = MachineState::Starting; break;
                case Operation::Stop: transitional = MachineState::Stopping; break;
                default: break;
                }
                if (transitional != m.state) {
                    m.state = transitional;
                    changed = m;
                }
            }
        }
    }

    JobSnapshot snap;
    {
        std::lock_guard lock(I.mu);
        snap = e->snap;
    }
    // The machine row is written before the job row: a crash between the two
    // leaves a `creating` machine that recover() rolls back.
    if (added) {
        I.persistMachine(*added);
        I.notifyMachineAdded(*added);
    }
    if (changed) {
        I.persistMachine(*changed);
        I.notifyMachineChanged(*changed);
    }
    I.persistJob(snap);
    I.auditJob(snap, request, dryRun ? "dry-run" : "submitted", dryRun ? snap.message : std::string());
    log::info({.uid = uid, .machine = request.machine, .job = snap.id}, "job {} ({}) {}", snap.id,
              toString(snap.operation), dryRun ? "dry run: " + snap.message : "queued");
    I.notifyJobAdded(snap);
    if (dryRun) {
        I.notifyJobFinished(snap);
        return Submitted{snap.id, request.machine};
    }

    std::lock_guard lock(I.mu);
    I.workers.emplace(snap.id, std::jthread([&I, e] { I.runJob(e); }));
    return Submitted{snap.id, request.machine};
}

Result<void> Engine::cancel(uint32_t jobId)
{
    std::shared_ptr<JobEntry> e;
    {
        std::lock_guard lock(impl_->mu);
        auto it = impl_->jobs.find(jobId);
        if (it == impl_->jobs.end())
            return fail(ErrorCode::NoSuchJob, fmt::format("no job {}", jobId));
        e = it->second;
        if (isFinished(e->snap.state))
            return fail(ErrorCode::NotCancelable, fmt::format("job {} has already finished", jobId));
        if (!e->snap.cancelable)
            return fail(ErrorCode::NotCancelable, fmt::format("job {} is past the point where it can be cancelled", jobId));
        e->stop.request_stop();
    }
    log::info({.uid = e->snap.startedByUid, .machine = e->snap.machine, .job = jobId}, "job {} cancel requested",
              jobId);
    impl_->updateJob(e, [](JobSnapshot& s) { s.message = "cancelling"; }, false);
    return {};
}

std::vector<MachineRecord> Engine::machines() const
{
    std::lock_guard lock(impl_->mu);
    std::vector<MachineRecord> out;
    out.reserve(impl_->machines.size());
    for (auto& [n, m] : impl_->machines)
        out.push_back(m);
    return out;
}

std::optional<MachineRecord> Engine::machine(const std::string& name) const
{
    std::lock_guard lock(impl_->mu);
    auto it = impl_->machines.find(name);
    if (it == impl_->machines.end())
        return std::nullopt;
    return it->second;
}

std::vector<JobSnapshot> Engine::jobs() const
{
    std::lock_guard lock(impl_->mu);
    std::vector<JobSnapshot> out;
    out.reserve(impl_->jobs.size());
    for (auto& [id, e] : impl_->jobs)
        out.push_back(e->snap);
    return out;
}

std::optional<JobSnapshot> Engine::job(uint32_t id) const
{
    std::lock_guard lock(impl_->mu);
    auto it = impl_->jobs.find(id);
    if (it == impl_->jobs.end())
        return std::nullopt;
    return it->second->snap;
}

Result<std::vector<drivers::ImageInfo>> Engine::images(const std::string& backend)
{
    drivers::Driver* d = impl_->driver(backend);
    if (!d) {
        if (backend == "proxmox-lxc" || backend == "proxmox-qemu")
            return fail(ErrorCode::BackendUnavailable, fmt::format("backend '{}' is not configured", backend));
        return fail(ErrorCode::InvalidArgs, fmt::format("unknown backend {}", quoteForMessage(backend)));
    }
    return d->images();
}

bool Engine::hasBackend(const std::string& backend) const
{
    return impl_->driver(backend) != nullptr;
}

void Engine::audit(AuditEntry entry)
{
    if (auto r = impl_->registry.audit(entry); !r)
        log::error({.uid = entry.uid, .machine = entry.machine}, "cannot write audit entry: {}", r.error().message);
}

const Config& Engine::config() const
{
    return impl_->config;
}

}  // namespace zenith::core