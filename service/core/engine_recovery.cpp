// Start-up after a restart or a crash: interrupted jobs are recorded as
// failed, machines come back with their recorded state at once, and a
// `recover` job then checks them off the bus loop and in parallel: their
// true state from the driver (a probe may be a remote call), half-made
// machines rolled back with what their driver checkpointed. Until a machine
// is checked it is locked by that job (Busy), so no job acts on a guess.
#include <atomic>

#include "core/engine_impl.h"

namespace zenith::core {

namespace {
// Machines checked at once: probes and rollbacks of remote guests wait on
// the network, not on this host.
constexpr size_t kRecoveryThreads = 4;
}  // namespace

Result<void> Engine::recover()
{
    Impl& I = *impl_;
    auto machines = I.registry.machines();
    if (!machines)
        return std::unexpected(machines.error());
    auto jobs = I.registry.jobs(kFinishedJobsKept * 4);
    if (!jobs)
        return std::unexpected(jobs.error());
    auto maxId = I.registry.maxJobId();
    if (!maxId)
        return std::unexpected(maxId.error());
    I.nextJobId = *maxId + 1;
    auto lastNumber = I.registry.lastMachineNumber();
    if (!lastNumber)
        return std::unexpected(lastNumber.error());
    I.nextMachineNumber = *lastNumber + 1;

    // Jobs that were running (or waiting) when the daemon died: recorded as
    // failed.
    std::vector<JobSnapshot> history;
    for (auto& j : *jobs) {
        if (!isFinished(j.state)) {
            const bool ran = j.state == JobState::Running;
            j.state = JobState::Failed;
            j.errorName = std::string(errorCodeName(ErrorCode::BackendFailed));
            j.errorMessage = ran ? "the daemon stopped while the job ran" : "the daemon stopped before the job started";
            j.message = fmt::format("{} of {} failed: {}", j.operation, j.machine, j.errorMessage);
            j.cancelable = false;
            j.finishedUsec = nowUsec();
            I.persistJob(j);
            log::warning({.uid = j.startedByUid, .machine = j.machine, .job = j.id},
                         "job {} ({}) was interrupted by a daemon restart; marked failed", j.id, j.operation);
        }
        history.push_back(j);
    }

    std::vector<std::string> toCheck;
    for (auto& m : *machines) {
        drivers::Driver* d = I.driver(m.backend);
        if (d && m.state == MachineState::Destroying) {
            // Deletion stopped half-way: whatever is left is no machine one
            // could start. It stays listed as failed until a destroy (which
            // a failed machine accepts) finishes the job.
            m.state = MachineState::Failed;
            I.persistMachine(m);
            log::warning({.machine = m.name}, "destroy of {} was interrupted; marked failed, destroy it again",
                         m.name);
        } else if (d) {
            toCheck.push_back(m.name);
        } else {
            m.state = MachineState::Failed;
        }
        std::lock_guard lock(I.mu);
        I.machines[m.name] = m;
    }

    std::shared_ptr<JobEntry> job;
    {
        std::lock_guard lock(I.mu);
        for (auto& j : history) {
            auto e = std::make_shared<JobEntry>();
            e->snap = j;
            I.jobs[j.id] = std::move(e);
        }
        I.trimFinishedJobs();
        if (!toCheck.empty()) {
            job = std::make_shared<JobEntry>();
            JobSnapshot& s = job->snap;
            s.id = I.nextJobId++;
            s.operation = std::string(kRecoverOperation);
            s.state = JobState::Running;
            s.step = "check";
            s.message = fmt::format("checking {} machines after a restart", toCheck.size());
            s.cancelable = false;
            s.startedUsec = nowUsec();
            job->started = true;
            job->recovery = std::move(toCheck);
            std::vector<ResourceLock> locks;
            for (const auto& name : job->recovery)
                locks.push_back(machineLock(name));
            I.locks.hold(s.id, locks);
            I.jobs[s.id] = job;
            I.recoveryJob = s.id;
            ++I.activeJobs;
        }
    }
    for (const auto& m : this->machines())
        I.notifyMachineAdded(m);
    // The forwards and NAT are back before the first caller is served (and
    // again when the recover job has rolled back what was half made).
    I.syncNat();
    if (job) {
        I.persistJob(job->snap);
        I.notifyJobAdded(job->snap);
        I.launch({job});
    }
    // Remote guests are listed from now on (the machines they may match
    // are loaded).
    I.watchInventories();
    return {};
}

bool Engine::waitRecovered(std::chrono::milliseconds timeout) const
{
    Impl& I = *impl_;
    std::unique_lock lock(I.mu);
    return I.jobEnded.wait_for(lock, timeout, [&] {
        auto it = I.jobs.find(I.recoveryJob);
        return it == I.jobs.end() || isFinished(it->second->snap.state);
    });
}

Result<void> Engine::Impl::recoverMachines(const std::shared_ptr<JobEntry>& e, drivers::JobContext& ctx)
{
    const std::vector<std::string>& names = e->recovery;
    std::atomic<size_t> next{0}, done{0}, rolledBack{0};
    auto checkOne = [&](const std::string& name) {
        auto m = machine(name);
        drivers::Driver* d = m ? driver(m->backend) : nullptr;
        if (!m || !d)
            return;
        if (m->state == MachineState::Creating) {
            // A half-made machine: roll it back, as a cancelled create would.
            d->rollbackPartial(*m);
            releaseAddresses(name);
            {
                std::lock_guard lock(mu);
                machines.erase(name);
                noteJobEnded(name, m);
            }
            if (auto r = registry.removeMachine(name); !r)
                log::error({.machine = name}, "cannot remove machine from registry: {}", r.error().message);
            log::warning({.machine = name}, "rolled back half-made machine {}", name);
            notifyMachineRemoved(*m);
            ++rolledBack;
            return;
        }
        setMachineState(name, d->probe(*m));
    };
    auto worker = [&] {
        for (size_t i; (i = next++) < names.size();) {
            // The daemon is stopping: what is left unchecked is checked at
            // the next start.
            if (ctx.cancelRequested())
                break;
            try {
                checkOne(names[i]);
            } catch (const std::exception& ex) {
                log::error({.machine = names[i]}, "checking {} after the restart failed: {}", names[i], ex.what());
            } catch (...) {
                log::error({.machine = names[i]}, "checking {} after the restart failed", names[i]);
            }
            {
                // Checked: jobs may act on it now.
                std::lock_guard lock(mu);
                locks.releaseResource(e->snap.id, machineLock(names[i]).resource);
            }
            const size_t n = ++done;
            ctx.progress(double(n) / double(names.size()), "check",
                         fmt::format("checked {} of {} machines", n, names.size()));
        }
    };
    {
        std::vector<std::jthread> pool;
        for (size_t t = 0; t < std::min(kRecoveryThreads, names.size()); ++t)
            pool.emplace_back(worker);
    }
    ctx.progress(1.0, "done",
                 fmt::format("checked {} machines after a restart{}", names.size(),
                             rolledBack ? fmt::format(", rolled back {} half-made", rolledBack.load()) : ""));
    return {};
}

}  // namespace zenith::core
