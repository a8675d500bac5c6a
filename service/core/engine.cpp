#include "core/engine.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <stop_token>
#include <thread>

#include "core/flags.h"
#include "core/log.h"
#include "core/names.h"

namespace zenith::core {

namespace {

// Finished jobs kept in memory for ListJobs (the registry keeps them all).
constexpr size_t kFinishedJobsKept = 50;

uint64_t nowUsec()
{
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

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

struct JobEntry {
    JobSnapshot snap;
    std::stop_source stop;
    Request request;
};

struct Engine::Impl {
    Config config;
    Registry& registry;
    std::map<std::string, std::unique_ptr<drivers::Driver>, std::less<>> drivers;
    EngineObserver* observer = nullptr;

    mutable std::mutex mu;
    std::map<std::string, MachineRecord, std::less<>> machines;
    std::map<uint32_t, std::shared_ptr<JobEntry>> jobs;
    std::set<std::string, std::less<>> busy;  // machines locked by a running job
    uint32_t nextJobId = 1;
    size_t activeJobs = 0;
    // Worker threads; joined on destruction (and reaped as they finish).
    std::map<uint32_t, std::jthread> workers;
    std::vector<uint32_t> finishedWorkers;

    Impl(Config c, Registry& r) : config(std::move(c)), registry(r) {}

    drivers::Driver* driver(std::string_view backend) const
    {
        auto it = drivers.find(backend);
        return it == drivers.end() ? nullptr : it->second.get();
    }

    // --- notifications (never called with `mu` held) ---
    void notifyJobAdded(const JobSnapshot& s) { if (observer) observer->jobAdded(s); }
    void notifyJobChanged(const JobSnapshot& s) { if (observer) observer->jobChanged(s); }
    void notifyJobFinished(const JobSnapshot& s) { if (observer) observer->jobFinished(s); }
    void notifyMachineAdded(const MachineRecord& m) { if (observer) observer->machineAdded(m); }
    void notifyMachineChanged(const MachineRecord& m) { if (observer) observer->machineChanged(m); }
    void notifyMachineRemoved(const MachineRecord& m) { if (observer) observer->machineRemoved(m); }

    void persistMachine(const MachineRecord& m)
    {
        if (auto r = registry.putMachine(m); !r)
            log::error({.machine = m.name}, "cannot store machine: {}", r.error().message);
    }
    void persistJob(const JobSnapshot& j)
    {
        if (auto r = registry.putJob(j); !r)
            log::error({.machine = j.machine, .job = j.id}, "cannot store job: {}", r.error().message);
    }
    void auditJob(const JobSnapshot& j, const Request& req, std::string_view outcome, std::string detail)
    {
        AuditEntry e;
        e.uid = j.startedByUid;
        e.verb = std::string(toString(j.operation));
        e.machine = j.machine;
        e.backend = req.backend;
        e.job = j.id;
        e.outcome = std::string(outcome);
        e.detail = std::move(detail);
        if (auto r = registry.audit(e); !r)
            log::error({.machine = j.machine, .job = j.id}, "cannot write audit entry: {}", r.error().message);
    }

    // Sets a machine's state (if it still exists) and tells the observer.
    void setMachineState(const std::string& name, MachineState state)
    {
        MachineRecord copy;
        {
            std::lock_guard lock(mu);
            auto it = machines.find(name);
            if (it == machines.end() || it->second.state == state)
                return;
            it->second.state = state;
            copy = it->second;
        }
        persistMachine(copy);
        notifyMachineChanged(copy);
    }

    void updateJob(const std::shared_ptr<JobEntry>& e, auto&& mutate, bool persist)
    {
        JobSnapshot copy;
        {
            std::lock_guard lock(mu);
            mutate(e->snap);
            copy = e->snap;
        }
        if (persist)
            persistJob(copy);
        notifyJobChanged(copy);
    }

    void trimFinishedJobs()
    {
        // caller holds mu
        std::vector<uint32_t> finished;
        for (auto& [id, e] : jobs)
            if (isFinished(e->snap.state))
                finished.push_back(id);
        if (finished.size() <= kFinishedJobsKept)
            return;
        std::sort(finished.begin(), finished.end());
        for (size_t i = 0; i + kFinishedJobsKept < finished.size(); ++i)
            jobs.erase(finished[i]);
    }

    void reapWorkers()
    {
        // caller holds mu; joining a finished thread returns at once
        for (uint32_t id : finishedWorkers) {
            auto it = workers.find(id);
            if (it != workers.end()) {
                if (it->second.joinable())
                    it->second.join();
                workers.erase(it);
            }
        }
        finishedWorkers.clear();
    }

    class JobCtx;
    void runJob(std::shared_ptr<JobEntry> e);
    Result<void> work(const std::shared_ptr<JobEntry>& e, drivers::Driver& d, drivers::JobContext& ctx);
    void finishJob(const std::shared_ptr<JobEntry>& e, const Result<void>& result);
};

// The driver's window onto its job: progress is clamped to [0,1] and never
// decreases, whatever the driver reports.
class Engine::Impl::JobCtx final : public drivers::JobContext {
public:
    JobCtx(Engine::Impl& impl, std::shared_ptr<JobEntry> e) : impl_(impl), e_(std::move(e)) {}

    void progress(double fraction, std::string_view step, std::string_view message) override
    {
        impl_.updateJob(
            e_,
            [&](JobSnapshot& s) {
                fraction = std::clamp(fraction, 0.0, 1.0);
                s.progress = std::max(s.progress, fraction);
                s.step = std::string(step);
                s.message = std::string(message);
            },
            false);
    }
    bool cancelRequested() const override { return e_->stop.stop_requested(); }
    std::stop_token stopToken() const override { return e_->stop.get_token(); }
    void setCancelable(bool cancelable) override
    {
        impl_.updateJob(e_, [&](JobSnapshot& s) { s.cancelable = cancelable; }, false);
    }

private:
    Engine::Impl& impl_;
    std::shared_ptr<JobEntry> e_;
};

void Engine::Impl::runJob(std::shared_ptr<JobEntry> e)
{
    const log::Context lc{.uid = e->snap.startedByUid, .machine = e->snap.machine, .job = e->snap.id};
    updateJob(e, [](JobSnapshot& s) { s.state = JobState::Running; }, true);
    log::info(lc, "job {} ({}) running", e->snap.id, toString(e->snap.operation));

    drivers::Driver* d = driver(e->request.backend);
    JobCtx ctx(*this, e);
    Result<void> result = d ? work(e, *d, ctx)
                            : Result<void>(fail(ErrorCode::BackendUnavailable, "backend is gone"));
    finishJob(e, result);
}

Result<void> Engine::Impl::work(const std::shared_ptr<JobEntry>& e, drivers::Driver& d, drivers::JobContext& ctx)
{
    const Request& req = e->request;
    MachineRecord record;
    {
        std::lock_guard lock(mu);
        if (auto it = machines.find(req.machine); it != machines.end())
            record = it->second;
    }

    auto adoptFacts = [&](const drivers::MachineFacts& f, MachineState state) {
        MachineRecord copy;
        {
            std::lock_guard lock(mu);
            auto& m = machines[req.machine];
            m.distro = f.distro;
            m.release = f.release;
            m.arch = f.arch;
            m.addresses = f.addresses;
            m.node = f.node;
            m.vmid = f.vmid;
            m.location = f.location;
            m.state = state;
            copy = m;
        }
        persistMachine(copy);
        notifyMachineChanged(copy);
    };

    const bool start = !(req.flags & kFlagNoStart);
    const bool force = req.flags & kFlagForce;
    switch (req.operation) {
    case Operation::Create:
    case Operation::Clone: {
        Result<drivers::MachineFacts> facts;
        if (req.operation == Operation::Create) {
            facts = d.create(req.machine, req.spec, start, ctx);
        } else {
            MachineRecord source;
            {
                std::lock_guard lock(mu);
                auto it = machines.find(req.source);
                if (it == machines.end())
                    return fail(ErrorCode::NoSuchMachine, fmt::format("machine '{}' is gone", req.source));
                source = it->second;
            }
            facts = d.clone(source, req.machine, req.spec, start, ctx);
        }
        if (!facts)
            return std::unexpected(facts.error());
        if (ctx.cancelRequested()) {
            // The driver finished just as Cancel arrived: honour the cancel
            // by rolling back what it made.
            MachineRecord made = record;
            made.location = facts->location;
            (void)d.destroy(made, true, ctx);
            return fail(ErrorCode::Cancelled, "cancelled");
        }
        adoptFacts(*facts, start ? MachineState::Running : MachineState::Stopped);
        return {};
    }
    case Operation::Destroy: {
        auto r = d.destroy(record, force, ctx);
        if (!r)
            return r;
        return {};
    }
    case Operation::Start: {
        auto r = d.start(record, ctx);
        if (!r)
            return r;
        setMachineState(req.machine, MachineState::Running);
        return {};
    }
    case Operation::Stop: {
        auto r = d.stop(record, force, ctx);
        if (!r)
            return r;
        setMachineState(req.machine, MachineState::Stopped);
        return {};
    }
    case Operation::Template: {
        auto r = d.makeTemplate(record, ctx);
        if (!r)
            return r;
        setMachineState(req.machine, MachineState::Template);
        return {};
    }
    }
    return fail(ErrorCode::BackendFailed, "unknown operation");
}

void Engine::Impl::finishJob(const std::shared_ptr<JobEntry>& e, const Result<void>& result)
{
    const Request& req = e->request;
    const log::Context lc{.uid = e->snap.startedByUid, .machine = e->snap.machine, .job = e->snap.id};
    drivers::Driver* d = driver(req.backend);

    // Machine bookkeeping first, so that a client woken by Completed sees
    // the final machine state.
    const bool made = req.operation == Operation::Create || req.operation == Operation::Clone;
    std::optional<MachineRecord> removed;
    {
        std::lock_guard lock(mu);
        auto it = machines.find(req.machine);
        if (it != machines.end()) {
            if ((made && !result) || (req.operation == Operation::Destroy && result)) {
                removed = it->second;
                machines.erase(it);
            }
        }
    }
    if (removed) {
        if (auto r = registry.removeMachine(removed->name); !r)
            log::error(lc, "cannot remove machine from registry: {}", r.error().message);
        notifyMachineRemoved(*removed);
    } else if (!result && d) {
        // A failed start/stop/destroy leaves the machine as it really is.
        std::optional<MachineRecord> m = [&]() -> std::optional<MachineRecord> {
            std::lock_guard lock(mu);
            auto it = machines.find(req.machine);
            return it == machines.end() ? std::nullopt : std::optional(it->second);
        }();
        if (m)
            setMachineState(req.machine, d->probe(*m));
    }

    JobSnapshot copy;
    {
        std::lock_guard lock(mu);
        auto& s = e->snap;
        if (result) {
            s.state = JobState::Done;
            s.progress = 1.0;
            if (s.message.empty() || s.step != "done")
                s.message = fmt::format("{} of {} done", toString(s.operation), s.machine);
            s.step = "done";
        } else if (result.error().code == ErrorCode::Cancelled) {
            s.state = JobState::Cancelled;
            s.errorName = std::string(errorCodeName(ErrorCode::Cancelled));
            s.errorMessage = result.error().message.empty() ? "cancelled" : result.error().message;
            s.message = fmt::format("{} of {} cancelled", toString(s.operation), s.machine);
        } else {
            s.state = JobState::Failed;
            s.errorName = std::string(errorCodeName(result.error().code));
            s.errorMessage = result.error().message;
            s.message = fmt::format("{} of {} failed: {}", toString(s.operation), s.machine, result.error().message);
        }
        s.cancelable = false;
        s.finishedUsec = nowUsec();
        copy = s;
        busy.erase(req.machine);
        if (!req.source.empty())
            busy.erase(req.source);
        --activeJobs;
        finishedWorkers.push_back(s.id);
        trimFinishedJobs();
    }
    persistJob(copy);
    auditJob(copy, req, copy.result(), copy.state == JobState::Done ? std::string() : copy.errorMessage);
    log::info(lc, "job {} ({}) {}{}{}", copy.id, toString(copy.operation), copy.result(),
              copy.errorMessage.empty() ? "" : ": ", copy.errorMessage);
    notifyJobChanged(copy);
    notifyJobFinished(copy);
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

void Engine::setObserver(EngineObserver* observer)
{
    impl_->observer = observer;
}

Result<void> Engine::recover()
{
    auto machines = impl_->registry.machines();
    if (!machines)
        return std::unexpected(machines.error());
    auto jobs = impl_->registry.jobs(kFinishedJobsKept * 4);
    if (!jobs)
        return std::unexpected(jobs.error());
    auto maxId = impl_->registry.maxJobId();
    if (!maxId)
        return std::unexpected(maxId.error());
    impl_->nextJobId = *maxId + 1;

    // Jobs that were running when the daemon died: recorded as failed.
    std::set<std::string> interruptedMachines;
    std::vector<JobSnapshot> history;
    for (auto& j : *jobs) {
        if (!isFinished(j.state)) {
            j.state = JobState::Failed;
            j.errorName = std::string(errorCodeName(ErrorCode::BackendFailed));
            j.errorMessage = "the daemon stopped while the job ran";
            j.message = fmt::format("{} of {} failed: {}", toString(j.operation), j.machine, j.errorMessage);
            j.cancelable = false;
            j.finishedUsec = nowUsec();
            impl_->persistJob(j);
            interruptedMachines.insert(j.machine);
            log::warning({.uid = j.startedByUid, .machine = j.machine, .job = j.id},
                         "job {} ({}) was interrupted by a daemon restart; marked failed", j.id,
                         toString(j.operation));
        }
        history.push_back(j);
    }

    for (auto& m : *machines) {
        drivers::Driver* d = impl_->driver(m.backend);
        if (m.state == MachineState::Creating) {
            // A half-made machine: roll it back, as a cancelled create would.
            if (d)
                d->rollbackPartial(m);
            if (auto r = impl_->registry.removeMachine(m.name); !r)
                return std::unexpected(r.error());
            log::warning({.machine = m.name}, "rolled back half-made machine {}", m.name);
            continue;
        }
        if (d) {
            MachineState truth = d->probe(m);
            if (truth != m.state) {
                m.state = truth;
                impl_->persistMachine(m);
            }
        } else {
            m.state = MachineState::Failed;
        }
        std::lock_guard lock(impl_->mu);
        impl_->machines[m.name] = m;
    }

    {
        std::lock_guard lock(impl_->mu);
        for (auto& j : history) {
            auto e = std::make_shared<JobEntry>();
            e->snap = j;
            impl_->jobs[j.id] = std::move(e);
        }
        impl_->trimFinishedJobs();
    }
    for (const auto& m : this->machines())
        impl_->notifyMachineAdded(m);
    return {};
}

Result<Request> Engine::prepareCreate(const std::string& name, const std::string& backend, const SpecMap& raw,
                                      uint64_t flags) const
{
    if (auto r = validateMachineName(name, "name"); !r)
        return std::unexpected(r.error());
    if (auto r = validateFlags(flags); !r)
        return std::unexpected(r.error());
    drivers::Driver* d = impl_->driver(backend);
    if (!d) {
        if (backend == "proxmox-lxc" || backend == "proxmox-qemu")
            return fail(ErrorCode::BackendUnavailable,
                        fmt::format("backend '{}' is not configured on this host", backend));
        return fail(ErrorCode::InvalidArgs, fmt::format("unknown backend '{}' (known: nspawn, proxmox-lxc, proxmox-qemu)",
                                                        backend));
    }
    auto spec = parseSpec(raw, impl_->config.limits);
    if (!spec)
        return std::unexpected(spec.error());
    if (auto r = d->validate(*spec); !r)
        return std::unexpected(r.error());

    Request req;
    req.operation = Operation::Create;
    req.machine = name;
    req.backend = backend;
    req.flags = flags;
    req.templateName = spec->templateName.value_or("");
    req.node = spec->node.value_or("");
    req.spec = std::move(*spec);
    return req;
}

Result<Request> Engine::prepareClone(const std::string& source, const std::string& newName, const SpecMap& overrides,
                                     uint64_t flags) const
{
    if (auto r = validateMachineName(source, "source"); !r)
        return std::unexpected(r.error());
    if (auto r = validateMachineName(newName, "new_name"); !r)
        return std::unexpected(r.error());
    if (auto r = validateFlags(flags); !r)
        return std::unexpected(r.error());
    auto over = parseSpec(overrides, impl_->config.limits);
    if (!over)
        return std::unexpected(over.error());
    auto src = machine(source);
    if (!src)
        return fail(ErrorCode::NoSuchMachine, fmt::format("no machine '{}'", source));
    drivers::Driver* d = impl_->driver(src->backend);
    if (!d)
        return fail(ErrorCode::BackendUnavailable, fmt::format("backend '{}' is not configured", src->backend));
    auto base = specFromJson(src->specJson.empty() ? "{}" : src->specJson);
    if (!base)
        return std::unexpected(base.error());
    MachineSpec merged = mergeSpec(*base, *over);
    if (auto r = d->validate(merged); !r)
        return std::unexpected(r.error());

    Request req;
    req.operation = Operation::Clone;
    req.machine = newName;
    req.source = source;
    req.backend = src->backend;
    req.flags = flags;
    req.templateName = source;
    req.node = merged.node.value_or("");
    req.spec = std::move(merged);
    return req;
}

Result<Request> Engine::prepareSimple(Operation op, const std::string& name, uint64_t flags) const
{
    if (auto r = validateMachineName(name, "name"); !r)
        return std::unexpected(r.error());
    if (auto r = validateFlags(flags); !r)
        return std::unexpected(r.error());
    auto m = machine(name);
    if (!m)
        return fail(ErrorCode::NoSuchMachine, fmt::format("no machine '{}'", name));
    Request req;
    req.operation = op;
    req.machine = name;
    req.backend = m->backend;
    req.flags = flags;
    req.node = m->node;
    return req;
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
                            ? d->plan(request.machine, request.spec)
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
        return fail(ErrorCode::InvalidArgs, fmt::format("unknown backend '{}'", backend));
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
