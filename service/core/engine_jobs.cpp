// A job's life on its worker thread: the driver call, machine bookkeeping,
// and the final state, persisted and announced.
#include <algorithm>

#include "core/engine_impl.h"
#include "core/flags.h"
#include "core/ops/address_request.h"
#include "core/text_quote.h"

namespace zenith::core {

namespace {
// Steps are short identifiers ("base-image"); a longer one is a driver bug.
constexpr size_t kMaxStepBytes = 64;
// Checkpoints are a driver's few facts (vmid, node, task id), not a store.
constexpr size_t kMaxCheckpoints = 16;
constexpr size_t kMaxCheckpointKey = 32;
constexpr size_t kMaxCheckpointValue = 256;

bool isCheckpointKey(std::string_view key)
{
    if (key.empty() || key.size() > kMaxCheckpointKey)
        return false;
    for (char c : key)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    return true;
}
}  // namespace

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
                // Drivers quote what tenants and mirrors print: valid UTF-8
                // and bounded before it is stored or signalled.
                s.step = toSingleLine(step, kMaxStepBytes);
                s.message = toValidUtf8(message);
            },
            false);
    }
    bool cancelRequested() const override { return e_->stop.stop_requested(); }
    std::stop_token stopToken() const override { return e_->stop.get_token(); }
    void setCancelable(bool cancelable) override
    {
        impl_.updateJob(e_, [&](JobSnapshot& s) { s.cancelable = cancelable; }, false);
    }
    void checkpoint(std::string_view key, std::string_view value) override
    {
        const std::string& name = e_->request.machine;
        if (!isCheckpointKey(key) || value.size() > kMaxCheckpointValue) {
            log::error({.machine = name, .job = e_->snap.id}, "checkpoint {} dropped: bad key or value too long",
                       quoteForMessage(key, 40));
            return;
        }
        MachineRecord copy;
        {
            std::lock_guard lock(impl_.mu);
            auto it = impl_.machines.find(name);
            if (it == impl_.machines.end())
                return;
            auto& cp = it->second.checkpoints;
            if (!cp.contains(std::string(key)) && cp.size() >= kMaxCheckpoints) {
                log::error({.machine = name, .job = e_->snap.id}, "checkpoint {} dropped: {} kept already", key,
                           kMaxCheckpoints);
                return;
            }
            cp[std::string(key)] = std::string(value);
            copy = it->second;
        }
        // Written before the driver goes on: a crash from here on finds it.
        impl_.persistMachine(copy);
    }

private:
    Engine::Impl& impl_;
    std::shared_ptr<JobEntry> e_;
};

// The engine's services for one job's operation.
class Engine::Impl::Run final : public OperationRun {
public:
    Run(Engine::Impl& impl, std::shared_ptr<JobEntry> e, drivers::Driver& d, JobCtx& ctx)
        : impl_(impl), e_(std::move(e)), driver_(d), ctx_(ctx)
    {
    }
    drivers::Driver& driver() override { return driver_; }
    drivers::JobContext& job() override;
    const Request& request() const override { return e_->request; }
    std::optional<MachineRecord> machine(const std::string& name) const override { return impl_.machine(name); }
    void adoptFacts(const drivers::MachineFacts& f, MachineState state) override
    {
        MachineRecord copy;
        {
            std::lock_guard lock(impl_.mu);
            auto& m = impl_.machines[e_->request.machine];
            m.distro = f.distro;
            m.release = f.release;
            m.arch = f.arch;
            m.addresses = f.addresses;
            if (!f.node.empty())
                m.node = f.node;
            if (f.vmid)
                m.vmid = f.vmid;
            m.location = f.location;
            m.uidShift = f.uidShift;
            m.sshHostKeys = f.sshHostKeys;
            m.bridge = f.bridge;
            m.hostLink = f.hostLink;
            m.state = state;
            copy = m;
        }
        impl_.persistMachine(copy);
        impl_.notifyMachineChanged(copy);
    }
    void setState(MachineState state) override { impl_.setMachineState(e_->request.machine, state); }
    void setSpec(const MachineSpec& spec) override
    {
        MachineRecord copy;
        {
            std::lock_guard lock(impl_.mu);
            auto it = impl_.machines.find(e_->request.machine);
            if (it == impl_.machines.end())
                return;
            it->second.specJson = specToJson(spec);
            copy = it->second;
        }
        impl_.persistMachine(copy);
        impl_.notifyMachineChanged(copy);
    }
    Result<void> claimAddress() override;
    void keepMadeMachine() override
    {
        std::lock_guard lock(impl_.mu);
        e_->keepMade = true;
    }

private:
    Engine::Impl& impl_;
    std::shared_ptr<JobEntry> e_;
    drivers::Driver& driver_;
    JobCtx& ctx_;
};

drivers::JobContext& Engine::Impl::Run::job()
{
    return ctx_;
}

Result<void> Engine::Impl::Run::claimAddress()
{
    // The job's own copy of the request: the driver sees the leased address.
    Request& req = e_->request;
    auto address = ops::addressRequestOf(req.spec, driver_, impl_);
    if (!address)
        return std::unexpected(address.error());
    using Kind = ops::AddressRequest::Kind;
    const bool v4 = address->kind != Kind::None && address->pool;
    const bool v6 = address->kind6 != Kind::None && address->pool6;
    if (!v4 && !v6)
        return {};
    // A lease taken here and a later failure (the other family exhausted,
    // the driver failing) are undone together: the job's rollback releases
    // every lease of the machine.
    std::string leasedText;
    if (v4) {
        const Ipv4Pool& pool = *address->pool;
        Result<uint32_t> leased = address->kind == Kind::Auto ? impl_.leases.leaseNext(pool, req.machine)
                                  : address->kind == Kind::LastOctet
                                      ? impl_.leases.leaseLastOctet(pool, address->lastOctet, req.machine)
                                      : impl_.leases.lease(pool, address->address, req.machine);
        if (!leased)
            return std::unexpected(leased.error());
        ops::applyLeasedAddress(req.spec, *address, *leased);
        leasedText = fmt::format("address {} from pool {}", *req.spec.ipv4, pool.name);
    }
    if (v6) {
        const Ipv6Pool& pool = *address->pool6;
        Result<Ipv6Address> leased = address->kind6 == Kind::Auto
                                         ? impl_.leases.leaseNext6(pool, req.machine)
                                         : impl_.leases.lease6(pool, address->address6, req.machine);
        if (!leased)
            return std::unexpected(leased.error());
        ops::applyLeasedAddress6(req.spec, *address, *leased);
        leasedText += fmt::format("{}address {} from pool {}", leasedText.empty() ? "" : ", ", *req.spec.ipv6,
                                  pool.name);
    }
    MachineRecord copy;
    {
        std::lock_guard lock(impl_.mu);
        auto& m = impl_.machines[req.machine];
        m.specJson = specToJson(req.spec);
        copy = m;
    }
    impl_.persistMachine(copy);
    ctx_.progress(0.0, "address", leasedText);
    return {};
}

Engine::Impl::Dispatched Engine::Impl::dispatch()
{
    Dispatched out;
    if (stopping)
        return out;
    for (auto it = queue.begin(); it != queue.end() && activeJobs < config_.maxJobs;) {
        auto e = *it;
        if (!e->announced || !locks.serialFree(e->request.locks)) {
            ++it;
            continue;
        }
        it = queue.erase(it);
        locks.holdSerial(e->snap.id, e->request.locks);
        e->started = true;
        ++activeJobs;
        // Step and message stay until the operation reports its first step:
        // a step of the engine's own would reach clients as one more
        // ProgressChanged step.
        e->snap.state = JobState::Running;
        if (auto state = e->request.operation->transitional()) {
            auto m = machines.find(e->request.machine);
            if (m != machines.end() && m->second.state != *state) {
                m->second.state = *state;
                out.changed.push_back(m->second);
            }
        }
        out.toStart.push_back(std::move(e));
    }
    return out;
}

void Engine::Impl::launch(const std::vector<std::shared_ptr<JobEntry>>& toStart) noexcept
{
    for (const auto& e : toStart) {
        bool launched = false;
        try {
            std::lock_guard lock(mu);
            workers.emplace(e->snap.id, std::jthread([this, e] { runJob(e); }));
            launched = true;
        } catch (...) {
            // No thread (EAGAIN under a task limit, no memory): the job
            // fails rather than holding its slot and locks for ever.
        }
        if (!launched) {
            try {
                log::error({.machine = e->snap.machine, .job = e->snap.id}, "job {}: cannot start a thread for it",
                           e->snap.id);
            } catch (...) {
            }
            finishJobMinimally(e);
        }
    }
}

void Engine::Impl::announceChanged(const std::vector<MachineRecord>& changed)
{
    for (const auto& m : changed) {
        persistMachine(m);
        notifyMachineChanged(m);
    }
}

bool Engine::Impl::unqueue(const std::shared_ptr<JobEntry>& e)
{
    auto it = std::find(queue.begin(), queue.end(), e);
    if (it == queue.end())
        return false;
    queue.erase(it);
    locks.release(e->snap.id);
    return true;
}

void Engine::Impl::runJob(std::shared_ptr<JobEntry> e)
{
    // A worker thread's function must not throw (std::terminate would take
    // the daemon and every other job with it).
    try {
        const log::Context lc{.uid = e->snap.startedByUid, .machine = e->snap.machine, .job = e->snap.id};
        updateJob(e, [](JobSnapshot&) {}, true);
        log::info(lc, "job {} ({}) running", e->snap.id, e->snap.operation);

        drivers::Driver* d = driver(e->request.backend);
        JobCtx ctx(*this, e);
        Result<void> result = fail(ErrorCode::BackendUnavailable, "backend is gone");
        if (!e->request.operation) {
            result = recoverMachines(e, ctx);
        } else if (d) {
            Run run(*this, e, *d, ctx);
            result = guardedWork(e, run);
        }
        // The job is kept for ListJobs after this; its credentials are not.
        dropCredentials(e->request.spec);
        finishJob(e, result);
    } catch (...) {
        dropCredentials(e->request.spec);
        finishJobMinimally(e);
    }
    // The thread's last use of mu: from here on, joining it (reapWorkers,
    // under mu) cannot wait on it.
    try {
        std::lock_guard lock(mu);
        finishedWorkers.push_back(e->snap.id);
    } catch (...) {
        // Reaped when the engine goes.
    }
}

Result<void> Engine::Impl::guardedWork(const std::shared_ptr<JobEntry>& e, Run& run)
{
    const Operation& op = *e->request.operation;
    auto failed = [&](std::string_view what) {
        log::error({.uid = e->snap.startedByUid, .machine = e->snap.machine, .job = e->snap.id},
                   "job {}: the {} driver failed: {}", e->snap.id, e->request.backend, what);
        // What the operation may have made is rolled back as recovery would
        // after a crash.
        try {
            op.rollback(run);
        } catch (...) {
            log::error({.machine = e->snap.machine, .job = e->snap.id}, "rollback after the failure failed too");
        }
        return fail(ErrorCode::BackendFailed,
                    fmt::format("internal error in the {} backend: {}", e->request.backend, what));
    };
    try {
        return op.run(run);
    } catch (const std::bad_alloc&) {
        return failed("out of memory");
    } catch (const std::exception& ex) {
        return failed(ex.what());
    } catch (...) {
        return failed("unknown exception");
    }
}

void Engine::Impl::releaseSlot(const std::shared_ptr<JobEntry>& e)
{
    locks.release(e->snap.id);
    if (e->started)
        --activeJobs;
    jobEnded.notify_all();
}

void Engine::Impl::finishJobMinimally(const std::shared_ptr<JobEntry>& e) noexcept
{
    JobSnapshot copy;
    bool abandoned = false;
    {
        std::lock_guard lock(mu);
        if (isFinished(e->snap.state))
            return;  // finishJob got far enough
        e->snap.state = JobState::Failed;
        e->snap.cancelable = false;
        e->snap.finishedUsec = nowUsec();
        abandoned = e->abandoned;
        releaseSlot(e);
    }
    try {
        {
            std::lock_guard lock(mu);
            e->snap.errorName = std::string(errorCodeName(ErrorCode::BackendFailed));
            e->snap.errorMessage = "internal error while finishing the job";
            copy = e->snap;
        }
        if (!abandoned) {
            persistJob(copy);
            notifyJobChanged(copy);
            notifyJobFinished(copy);
        }
        Dispatched next;
        {
            std::lock_guard lock(mu);
            next = dispatch();
        }
        announceChanged(next.changed);
        launch(next.toStart);
    } catch (...) {
        // Nothing left to try: the slot is free, the daemon goes on.
    }
}

void Engine::Impl::finishJob(const std::shared_ptr<JobEntry>& e, const Result<void>& result, bool ran)
{
    const Request& req = e->request;
    const log::Context lc{.uid = e->snap.startedByUid, .machine = e->snap.machine, .job = e->snap.id};
    drivers::Driver* d = driver(req.backend);

    // Machine bookkeeping first, so that a client woken by Completed sees
    // the final machine state.
    const OperationEffect effect = req.operation ? req.operation->effect() : OperationEffect::Changes;
    std::optional<MachineRecord> removed;
    {
        std::lock_guard lock(mu);
        auto it = machines.find(req.machine);
        if (it != machines.end()) {
            if ((effect == OperationEffect::Makes && !result && !e->keepMade) ||
                (effect == OperationEffect::Removes && result)) {
                removed = it->second;
                machines.erase(it);
            }
        }
        noteJobEnded(req.machine, removed);
    }
    // Its port forwards are in place before the job is reported done, and
    // gone with the machine.
    if (!req.operation || req.operation->changesForwards())
        syncNat();
    if (removed) {
        releaseAddresses(removed->name);
        if (auto r = registry.removeMachine(removed->name); !r)
            log::error(lc, "cannot remove machine from registry: {}", r.error().message);
        notifyMachineRemoved(*removed);
    } else if (!result && d && ran) {
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
    bool abandoned = false;
    Dispatched next;  // the queued jobs this one's slot lets start
    // Launched however this function is left (a throwing observer or
    // registry included): else they would hold their slots for ever.
    struct LaunchAtExit {
        Impl& impl;
        Dispatched& jobs;
        ~LaunchAtExit() { impl.launch(jobs.toStart); }
    } launchAtExit{*this, next};
    {
        std::lock_guard lock(mu);
        auto& s = e->snap;
        if (result) {
            s.state = JobState::Done;
            s.progress = 1.0;
            if (s.message.empty() || s.step != "done")
                s.message = fmt::format("{} of {} done", s.operation, s.machine);
            s.step = "done";
        } else if (result.error().code == ErrorCode::Cancelled) {
            s.state = JobState::Cancelled;
            s.errorName = std::string(errorCodeName(ErrorCode::Cancelled));
            s.errorMessage = result.error().message.empty() ? "cancelled" : toValidUtf8(result.error().message);
            s.message = fmt::format("{} of {} cancelled", s.operation, s.machine);
        } else {
            s.state = JobState::Failed;
            s.errorName = std::string(errorCodeName(result.error().code));
            s.errorMessage = toValidUtf8(result.error().message);
            s.message = toValidUtf8(
                fmt::format("{} of {} failed: {}", s.operation, s.machine, s.errorMessage));
        }
        s.cancelable = false;
        s.finishedUsec = nowUsec();
        copy = s;
        abandoned = e->abandoned;
        releaseSlot(e);
        trimFinishedJobs();
        next = dispatch();
    }
    announceChanged(next.changed);
    if (abandoned) {
        // shutdown() recorded it as failed and the daemon is leaving.
        log::warning(lc, "job {} ({}) ended after it was abandoned: {}", copy.id, copy.operation,
                     copy.result());
        return;
    }
    persistJob(copy);
    auditJob(copy, req, copy.result(), copy.state == JobState::Done ? std::string() : copy.errorMessage);
    log::info(lc, "job {} ({}) {}{}{}", copy.id, copy.operation, copy.result(),
              copy.errorMessage.empty() ? "" : ": ", copy.errorMessage);
    notifyJobChanged(copy);
    notifyJobFinished(copy);
}

}  // namespace zenith::core
