// Start-up after a restart or a crash: machines come back with their true
// state, interrupted jobs are recorded as failed, half-made machines are
// rolled back.
#include "core/engine_impl.h"

namespace zenith::core {

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
        if (d && m.state == MachineState::Destroying) {
            // Deletion stopped half-way: whatever is left is no machine one
            // could start. It stays listed as failed until a destroy (which
            // a failed machine accepts) finishes the job.
            m.state = MachineState::Failed;
            impl_->persistMachine(m);
            log::warning({.machine = m.name}, "destroy of {} was interrupted; marked failed, destroy it again",
                         m.name);
        } else if (d) {
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

}  // namespace zenith::core
