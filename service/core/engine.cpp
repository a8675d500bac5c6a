// The engine's public face: construction, submit, cancel and the queries the
// bus facade answers from. Requests: engine_requests.cpp; a job's run:
// engine_jobs.cpp; start-up recovery: engine_recovery.cpp.
#include "core/engine.h"

#include "core/engine_impl.h"
#include "core/flags.h"
#include "core/ops/prepare_steps.h"
#include "core/text_quote.h"

namespace zenith::core {

Engine::Engine(Config config, Registry& registry, std::vector<std::unique_ptr<drivers::Driver>> drivers)
    : impl_(std::make_unique<Impl>(std::move(config), registry))
{
    for (const auto& [name, c] : impl_->config_.pools) {
        // The config parser checked the same; a pool that still does not
        // fit is left out (and named) rather than handing out bad addresses.
        if (!c.subnet.empty()) {
            if (auto p = parseIpv4Pool(c))
                impl_->ipv4Pools.emplace(name, std::move(*p));
            else
                log::error({}, "{}", p.error().message);
        }
        if (!c.subnet6.empty()) {
            if (auto p = parseIpv6Pool(c))
                impl_->ipv6Pools.emplace(name, std::move(*p));
            else
                log::error({}, "{}", p.error().message);
        }
    }
    for (auto& d : drivers) {
        std::string id(d->id());
        d->setStateListener([impl = impl_.get()](const std::string& name, MachineState state) {
            // A machine changed on its own (its container exited). A job that
            // holds the machine reports the state itself when it ends.
            {
                std::lock_guard lock(impl->mu);
                if (impl->locks.held(machineLock(name).resource))
                    return;
            }
            impl->setMachineState(name, state);
        });
        impl_->drivers.emplace(std::move(id), std::move(d));
    }
}

Engine::~Engine()
{
    // No listing may arrive while the engine goes away.
    impl_->unwatchInventories();
    {
        std::lock_guard lock(impl_->mu);
        impl_->stopping = true;
        for (auto& [id, e] : impl_->jobs)
            if (!isFinished(e->snap.state))
                e->stop.request_stop();
    }
    // jthread joins on destruction; done outside the lock because finishing
    // jobs take it. Until none is left: a job that finished just before
    // `stopping` was set may still launch the ones its slot let start.
    for (;;) {
        std::map<uint32_t, std::jthread> workers;
        {
            std::lock_guard lock(impl_->mu);
            workers.swap(impl_->workers);
        }
        if (workers.empty())
            break;
        workers.clear();
    }
}

std::vector<uint32_t> Engine::shutdown(std::chrono::milliseconds timeout)
{
    Impl& I = *impl_;
    std::vector<std::shared_ptr<JobEntry>> stuck;
    std::vector<std::shared_ptr<JobEntry>> queued;
    I.unwatchInventories();
    {
        std::lock_guard lock(I.mu);
        I.stopping = true;
        queued.assign(I.queue.begin(), I.queue.end());
    }
    // Jobs that never started end cancelled, their machines-to-be removed.
    for (auto& e : queued) {
        bool wasQueued;
        {
            std::lock_guard lock(I.mu);
            wasQueued = I.unqueue(e);
        }
        if (wasQueued)
            I.finishJob(e, fail(ErrorCode::Cancelled, "the daemon stopped before the job started"), false);
    }
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
        s.message = fmt::format("{} of {} failed: {}", s.operation, s.machine, s.errorMessage);
        s.finishedUsec = nowUsec();
        I.persistJob(s);
        I.auditJob(s, e->request, s.result(), s.errorMessage);
        log::error({.uid = s.startedByUid, .machine = s.machine, .job = s.id}, "job {} ({}) is stuck; recorded as failed",
                   s.id, s.operation);
        ids.push_back(s.id);
    }
    return ids;
}

void Engine::setObserver(EngineObserver* observer)
{
    impl_->observer = observer;
}

void Engine::setNatApplier(std::function<Result<void>(const NatRules&)> apply)
{
    impl_->applyNat = std::move(apply);
}
Result<Submitted> Engine::submit(const Request& request, uint32_t uid)
{
    Impl& I = *impl_;
    const Operation* op = request.operation;
    if (!op)
        return fail(ErrorCode::InvalidArgs, "request was not prepared");
    drivers::Driver* d = I.driver(request.backend);
    if (!d)
        return fail(ErrorCode::BackendUnavailable, fmt::format("backend '{}' is not configured", request.backend));
    const bool dryRun = request.flags & kFlagDryRun;
    const bool makes = op->effect() == OperationEffect::Makes;
    // A plan may look at the host or a driver's cache: never under the
    // engine's lock, which every bus call takes.
    const std::string plan = dryRun ? toValidUtf8(op->plan(request, *d)) : std::string();

    auto e = std::make_shared<JobEntry>();
    std::optional<MachineRecord> added;
    Impl::Dispatched dispatched;
    {
        std::lock_guard lock(I.mu);
        I.reapWorkers();
        auto existing = I.machines.find(request.machine);
        if (makes && existing != I.machines.end())
            return fail(ErrorCode::MachineExists, fmt::format("machine '{}' already exists", request.machine));
        if (!makes && existing == I.machines.end())
            return fail(ErrorCode::NoSuchMachine, fmt::format("no machine '{}'", request.machine));
        if (!request.source.empty() && !I.machines.contains(request.source))
            return fail(ErrorCode::NoSuchMachine, fmt::format("no machine '{}'", request.source));
        if (!dryRun) {
            if (auto c = I.locks.conflict(request.locks))
                return fail(ErrorCode::Busy, c->what.starts_with("machine ")
                                                 ? fmt::format("{} is busy with another job (job {})", c->what, c->job)
                                                 : fmt::format("{} is claimed by another job (job {})", c->what, c->job));
        }
        if (auto r = op->admit(request, makes ? nullptr : &existing->second); !r)
            return std::unexpected(r.error());
        if (op->publishesPorts())
            if (auto r = I.checkHostPortsFree(request); !r)
                return std::unexpected(r.error());
        if (!dryRun && I.stopping)
            return fail(ErrorCode::BackendUnavailable, "the daemon is stopping");
        if (!dryRun && I.activeJobs >= I.config_.maxJobs && I.queue.size() >= I.config_.maxQueuedJobs)
            return fail(ErrorCode::LimitsExceeded,
                        fmt::format("too many operations: {} running and {} waiting (limits MaxJobs={}, "
                                    "MaxQueuedJobs={})",
                                    I.activeJobs, I.queue.size(), I.config_.maxJobs, I.config_.maxQueuedJobs));

        JobSnapshot& s = e->snap;
        s.id = I.nextJobId++;
        s.operation = std::string(op->name());
        s.machine = request.machine;
        s.startedByUid = uid;
        s.startedUsec = nowUsec();
        e->request = request;

        if (dryRun) {
            s.state = JobState::Done;
            s.progress = 1.0;
            s.step = "plan";
            s.message = plan;
            s.cancelable = false;
            s.finishedUsec = s.startedUsec;
            I.jobs[s.id] = e;
            I.trimFinishedJobs();
        } else {
            s.state = JobState::Queued;
            s.step = "queued";
            s.message = fmt::format("{} of {} queued", s.operation, request.machine);
            s.cancelable = true;
            I.jobs[s.id] = e;
            I.locks.hold(s.id, request.locks);
            I.queue.push_back(e);

            if (makes) {
                MachineRecord m;
                m.name = request.machine;
                m.backend = request.backend;
                m.kind = std::string(d->kind());
                m.state = MachineState::Creating;
                m.number = I.nextMachineNumber++;
                m.distro = request.spec.distro.value_or("");
                m.release = request.spec.release.value_or("");
                m.arch = request.spec.arch.value_or("");
                m.cpuQuota = request.spec.cpuQuota.value_or(0);
                m.memoryMax = request.spec.memoryMax.value_or(0);
                m.node = request.node;
                m.vmid = request.vmid;
                m.createdByUid = uid;
                m.specJson = specToJson(request.spec);
                I.machines[m.name] = m;
                added = m;
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
    I.persistJob(snap);
    I.auditJob(snap, request, dryRun ? "dry-run" : "submitted", dryRun ? snap.message : std::string());
    log::info({.uid = uid, .machine = request.machine, .job = snap.id}, "job {} ({}) {}", snap.id, snap.operation,
              dryRun ? "dry run: " + snap.message : std::string(toString(snap.state)));
    I.notifyJobAdded(snap);
    if (dryRun) {
        I.notifyJobFinished(snap);
        return Submitted{snap.id, request.machine};
    }
    // Only now may the job leave the queue: whatever it does from here on
    // reaches the registry and the observer after its announcement.
    {
        std::lock_guard lock(I.mu);
        e->announced = true;
        dispatched = I.dispatch();
    }
    I.announceChanged(dispatched.changed);
    I.launch(dispatched.toStart);
    return Submitted{snap.id, request.machine};
}

Result<void> Engine::cancel(uint32_t jobId)
{
    Impl& I = *impl_;
    std::shared_ptr<JobEntry> e;
    bool wasQueued = false;
    {
        std::lock_guard lock(I.mu);
        auto it = I.jobs.find(jobId);
        if (it == I.jobs.end())
            return fail(ErrorCode::NoSuchJob, fmt::format("no job {}", jobId));
        e = it->second;
        if (isFinished(e->snap.state))
            return fail(ErrorCode::NotCancelable, fmt::format("job {} has already finished", jobId));
        if (!e->snap.cancelable)
            return fail(ErrorCode::NotCancelable, fmt::format("job {} is past the point where it can be cancelled", jobId));
        e->stop.request_stop();
        wasQueued = I.unqueue(e);
    }
    log::info({.uid = e->snap.startedByUid, .machine = e->snap.machine, .job = jobId}, "job {} cancel requested",
              jobId);
    if (wasQueued) {
        // It never started: nothing to roll back but its place in the list.
        I.finishJob(e, fail(ErrorCode::Cancelled, "cancelled before it started"), false);
        return {};
    }
    JobSnapshot copy;
    {
        std::lock_guard lock(I.mu);
        if (isFinished(e->snap.state))
            return {};  // it ended meanwhile; its final message stays
        e->snap.message = "cancelling";
        copy = e->snap;
    }
    I.notifyJobChanged(copy);
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
    return impl_->machine(name);
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
    auto d = ops::driverFor(*impl_, backend);
    if (!d)
        return std::unexpected(d.error());
    drivers::ImageCatalog* catalog = (*d)->imageCatalog();
    if (!catalog)
        return drivers::notOnThisBackend(backend, "an image list is");
    return catalog->images();
}

bool Engine::hasBackend(const std::string& backend) const
{
    return impl_->driver(backend) != nullptr;
}

bool Engine::isSpecKey(std::string_view key) const
{
    if (core::isSpecKey(key))
        return true;
    for (const auto& [id, d] : impl_->drivers)
        if (findSpecKeyRule(d->specKeys(), key))
            return true;
    return false;
}

void Engine::audit(AuditEntry entry)
{
    if (auto r = impl_->registry.audit(entry); !r)
        log::error({.uid = entry.uid, .machine = entry.machine}, "cannot write audit entry: {}", r.error().message);
}

const Config& Engine::config() const
{
    return impl_->config_;
}

}  // namespace zenith::core