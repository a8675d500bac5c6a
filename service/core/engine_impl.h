// Private to the engine's own .cpp files: the job table and the helpers the
// request, job and recovery code share. Nothing outside service/core/engine*
// includes this.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <stop_token>
#include <thread>

#include "core/engine.h"
#include "core/log.h"

namespace zenith::core {

// Finished jobs kept in memory for ListJobs (the registry keeps them all).
inline constexpr size_t kFinishedJobsKept = 50;

inline uint64_t nowUsec()
{
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

struct JobEntry {
    JobSnapshot snap;
    std::stop_source stop;
    Request request;
    // Recorded as failed by shutdown() while its thread was stuck: if the
    // thread ever comes back, its result is not written over that record.
    bool abandoned = false;
};

struct Engine::Impl {
    Config config;
    Registry& registry;
    std::map<std::string, std::unique_ptr<drivers::Driver>, std::less<>> drivers;
    EngineObserver* observer = nullptr;

    mutable std::mutex mu;
    std::condition_variable jobEnded;  // a job left activeJobs (shutdown waits on it)
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
    // work() with every exception turned into a failed result: nothing a
    // driver throws (bad_alloc included) may reach std::terminate.
    Result<void> guardedWork(const std::shared_ptr<JobEntry>& e, drivers::Driver& d, drivers::JobContext& ctx);
    Result<void> work(const std::shared_ptr<JobEntry>& e, drivers::Driver& d, drivers::JobContext& ctx);
    void finishJob(const std::shared_ptr<JobEntry>& e, const Result<void>& result);
    // When finishJob itself failed (out of memory): frees the job's slot and
    // locks so the daemon goes on; the job is recorded as failed if possible.
    void finishJobMinimally(const std::shared_ptr<JobEntry>& e) noexcept;
    void releaseSlot(const std::shared_ptr<JobEntry>& e);  // caller holds mu
};

}  // namespace zenith::core
