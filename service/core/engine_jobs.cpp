// A job's life on its worker thread: the driver call, machine bookkeeping,
// and the final state, persisted and announced.
#include <algorithm>

#include "core/engine_impl.h"
#include "core/flags.h"
#include "core/text_quote.h"

namespace zenith::core {

namespace {
// Steps are short identifiers ("base-image"); a longer one is a driver bug.
constexpr size_t kMaxStepBytes = 64;
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

private:
    Engine::Impl& impl_;
    std::shared_ptr<JobEntry> e_;
};

void Engine::Impl::runJob(std::shared_ptr<JobEntry> e)
{
    // A worker thread's function must not throw (std::terminate would take
    // the daemon and every other job with it).
    try {
        const log::Context lc{.uid = e->snap.startedByUid, .machine = e->snap.machine, .job = e->snap.id};
        updateJob(e, [](JobSnapshot& s) { s.state = JobState::Running; }, true);
        log::info(lc, "job {} ({}) running", e->snap.id, toString(e->snap.operation));

        drivers::Driver* d = driver(e->request.backend);
        JobCtx ctx(*this, e);
        Result<void> result = d ? guardedWork(e, *d, ctx)
                                : Result<void>(fail(ErrorCode::BackendUnavailable, "backend is gone"));
        // The job is kept for ListJobs after this; its credentials are not.
        dropCredentials(e->request.spec);
        finishJob(e, result);
    } catch (...) {
        dropCredentials(e->request.spec);
        finishJobMinimally(e);
    }
}

Result<void> Engine::Impl::guardedWork(const std::shared_ptr<JobEntry>& e, drivers::Driver& d,
                                       drivers::JobContext& ctx)
{
    auto failed = [&](std::string_view what) {
        log::error({.uid = e->snap.startedByUid, .machine = e->snap.machine, .job = e->snap.id},
                   "job {}: the {} driver failed: {}", e->snap.id, e->request.backend, what);
        // A create that threw may have made part of the machine: roll it
        // back as recovery would after a crash.
        const Operation op = e->request.operation;
        if (op == Operation::Create || op == Operation::Clone) {
            try {
                MachineRecord half;
                {
                    std::lock_guard lock(mu);
                    if (auto it = machines.find(e->request.machine); it != machines.end())
                        half = it->second;
                }
                if (!half.name.empty())
                    d.rollbackPartial(half);
            } catch (...) {
                log::error({.machine = e->snap.machine, .job = e->snap.id}, "rollback after the failure failed too");
            }
        }
        return fail(ErrorCode::BackendFailed,
                    fmt::format("internal error in the {} backend: {}", e->request.backend, what));
    };
    try {
        return work(e, d, ctx);
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
    busy.erase(e->request.machine);
    if (!e->request.source.empty())
        busy.erase(e->request.source);
    --activeJobs;
    finishedWorkers.push_back(e->snap.id);
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
    } catch (...) {
        // Nothing left to try: the slot is free, the daemon goes on.
    }
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
            m.uidShift = f.uidShift;
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
    bool abandoned = false;
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
            s.errorMessage = result.error().message.empty() ? "cancelled" : toValidUtf8(result.error().message);
            s.message = fmt::format("{} of {} cancelled", toString(s.operation), s.machine);
        } else {
            s.state = JobState::Failed;
            s.errorName = std::string(errorCodeName(result.error().code));
            s.errorMessage = toValidUtf8(result.error().message);
            s.message = toValidUtf8(
                fmt::format("{} of {} failed: {}", toString(s.operation), s.machine, s.errorMessage));
        }
        s.cancelable = false;
        s.finishedUsec = nowUsec();
        copy = s;
        abandoned = e->abandoned;
        releaseSlot(e);
        trimFinishedJobs();
    }
    if (abandoned) {
        // shutdown() recorded it as failed and the daemon is leaving.
        log::warning(lc, "job {} ({}) ended after it was abandoned: {}", copy.id, toString(copy.operation),
                     copy.result());
        return;
    }
    persistJob(copy);
    auditJob(copy, req, copy.result(), copy.state == JobState::Done ? std::string() : copy.errorMessage);
    log::info(lc, "job {} ({}) {}{}{}", copy.id, toString(copy.operation), copy.result(),
              copy.errorMessage.empty() ? "" : ": ", copy.errorMessage);
    notifyJobChanged(copy);
    notifyJobFinished(copy);
}

}  // namespace zenith::core
