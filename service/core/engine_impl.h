// Private to the engine's own .cpp files: the job table and the helpers the
// request, job and recovery code share. Nothing outside service/core/engine*
// includes this.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <stop_token>
#include <thread>

#include "core/engine.h"
#include "core/address_leases.h"
#include "core/log.h"
#include "core/resource_lock.h"

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
    bool started = false;  // left the queue: it has (had) a worker thread and a slot
    // submit() has announced it (registry, observer): only then may it
    // leave the queue, so nothing it does overtakes its announcement.
    bool announced = false;
    // Its machine stays when it fails (a cancel whose undo failed: the
    // machine is kept, failed, with its address).
    bool keepMade = false;
    // The start-up `recover` job (no operation, no request): the machines it
    // checks.
    std::vector<std::string> recovery;
};

// The engine's own job after a restart (not an operation a caller asks for).
inline constexpr std::string_view kRecoverOperation = "recover";

struct Engine::Impl final : OperationEnv {
    Config config_;
    Registry& registry;
    // [Pool.NAME] sections, checked; the leases live in the registry.
    std::map<std::string, Ipv4Pool, std::less<>> ipv4Pools;
    std::map<std::string, Ipv6Pool, std::less<>> ipv6Pools;
    AddressLeases leases{registry};
    std::map<std::string, std::unique_ptr<drivers::Driver>, std::less<>> drivers;
    EngineObserver* observer = nullptr;

    mutable std::mutex mu;
    mutable std::condition_variable jobEnded;  // a job left activeJobs (shutdown waits on it)
    std::map<std::string, MachineRecord, std::less<>> machines;
    std::map<uint32_t, std::shared_ptr<JobEntry>> jobs;
    LockTable locks;  // held by queued and running jobs
    std::deque<std::shared_ptr<JobEntry>> queue;  // submitted, waiting for a slot or a Serial lock
    bool stopping = false;  // shutdown began: nothing more leaves the queue
    uint32_t recoveryJob = 0;  // the start-up `recover` job, 0 for none
    uint32_t nextJobId = 1;
    uint32_t nextMachineNumber = 1;  // never reused (Registry::lastMachineNumber)
    size_t activeJobs = 0;  // started and not yet finished (at most MaxJobs)
    // Worker threads; joined on destruction (and reaped as they finish).
    // finishedWorkers before workers: a worker's last act is to list itself
    // there, so it must outlive the threads joined in `workers`' destructor.
    std::vector<uint32_t> finishedWorkers;
    std::map<uint32_t, std::jthread> workers;

    Impl(Config c, Registry& r) : config_(std::move(c)), registry(r) {}

    // ---- OperationEnv ----
    const Config& config() const override { return config_; }
    drivers::Driver* driver(std::string_view backend) const override
    {
        auto it = drivers.find(backend);
        return it == drivers.end() ? nullptr : it->second.get();
    }
    std::optional<MachineRecord> machine(const std::string& name) const override
    {
        std::lock_guard lock(mu);
        auto it = machines.find(name);
        return it == machines.end() ? std::nullopt : std::optional(it->second);
    }
    const Ipv4Pool* pool(std::string_view name) const override
    {
        auto it = ipv4Pools.find(name);
        return it == ipv4Pools.end() ? nullptr : &it->second;
    }
    Result<Ipv4Leases> poolLeases(const std::string& name) const override { return leases.leases(name); }
    const Ipv6Pool* pool6(std::string_view name) const override
    {
        auto it = ipv6Pools.find(name);
        return it == ipv6Pools.end() ? nullptr : &it->second;
    }
    Result<Ipv6Leases> pool6Leases(const std::string& name) const override { return leases.leases6(name); }

    // InvalidArgs naming the configured pools (engine_pools.cpp).
    Result<void> findPool(const std::string& name) const;

    // The host's NAT table (Engine::setNatApplier); natMu: one apply at a
    // time, each from the machines of its own time, so the last one applied
    // is the latest state.
    std::function<Result<void>(const NatRules&)> applyNat;
    std::mutex natMu;
    void syncNat()
    {
        if (!applyNat)
            return;
        std::lock_guard natLock(natMu);
        std::vector<MachineRecord> all;
        {
            std::lock_guard lock(mu);
            for (const auto& [name, m] : machines)
                all.push_back(m);
        }
        // A failure leaves the table as it was; the next change or restart
        // applies the whole state again.
        if (auto r = applyNat(natRulesOf(all, config_)); !r)
            log::error({}, "cannot update the port forwards and NAT: {}", r.error().message);
    }

    // InvalidArgs when another machine forwards one of the request's host
    // ports already (mu held). Creating machines count: their spec is
    // recorded at submit. The holder is not named: it may be another
    // tenant's machine.
    Result<void> checkHostPortsFree(const Request& req) const
    {
        const auto wanted = req.spec.ports.value_or(std::vector<PortForward>{});
        if (wanted.empty())
            return {};
        for (const auto& [name, m] : machines) {
            if (name == req.machine)
                continue;
            for (const auto& held : forwardsOf(m))
                for (const auto& w : wanted)
                    if (held.proto == w.proto && held.hostPort == w.hostPort)
                        return fail(ErrorCode::InvalidArgs,
                                    fmt::format("ports: host port {}/{} is forwarded to another machine already",
                                                w.hostPort, w.proto));
        }
        return {};
    }

    // Every lease of `machine` (its job failed, or it was destroyed).
    void releaseAddresses(const std::string& machine)
    {
        if (auto r = leases.release(machine); !r)
            log::error({.machine = machine}, "cannot release the addresses of {}: {}", machine, r.error().message);
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
        e.verb = j.operation;
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

    // ---- remote guests (engine_inventory.cpp) ----
    using Clock = std::chrono::system_clock;
    // When a job on a machine last ended, and the guests jobs removed
    // ("backend/location/vmid"): a cluster listing read before then is
    // stale for them. Pruned after a few minutes.
    std::map<std::string, Clock::time_point, std::less<>> touched;
    std::map<std::string, Clock::time_point, std::less<>> forgotten;
    // Lists the guests of remote backends as machines (from recover() on).
    void watchInventories();
    void unwatchInventories();
    void syncInventory(const std::string& backend, const std::string& location, Clock::time_point readAt,
                       const std::vector<drivers::RemoteGuest>& guests);
    void noteJobEnded(const std::string& machine, const std::optional<MachineRecord>& removed);  // caller holds mu

    class JobCtx;
    class Run;
    // Takes queued jobs out of the queue while slots are free and their
    // Serial locks too, in submission order (a job waiting for a lock does
    // not hold back those behind it), and marks them running. Caller holds
    // mu. The caller then, without mu, announces the machines whose state
    // changed and launches the jobs: a job's thread starts only after what
    // announced it, so its own changes reach observers after that.
    struct Dispatched {
        std::vector<MachineRecord> changed;
        std::vector<std::shared_ptr<JobEntry>> toStart;
    };
    Dispatched dispatch();
    void announceChanged(const std::vector<MachineRecord>& changed);
    void launch(const std::vector<std::shared_ptr<JobEntry>>& toStart) noexcept;  // takes mu
    void runJob(std::shared_ptr<JobEntry> e);
    // The operation's run() with every exception turned into a failed
    // result: nothing a driver throws (bad_alloc included) may reach
    // std::terminate.
    Result<void> guardedWork(const std::shared_ptr<JobEntry>& e, Run& run);
    // `ran`: false for a queued job cancelled before it started (nothing to
    // probe or roll back).
    void finishJob(const std::shared_ptr<JobEntry>& e, const Result<void>& result, bool ran = true);
    // The `recover` job's work (engine_recovery.cpp).
    Result<void> recoverMachines(const std::shared_ptr<JobEntry>& e, drivers::JobContext& ctx);
    // When finishJob itself failed (out of memory): frees the job's slot and
    // locks so the daemon goes on; the job is recorded as failed if possible.
    void finishJobMinimally(const std::shared_ptr<JobEntry>& e) noexcept;
    void releaseSlot(const std::shared_ptr<JobEntry>& e);  // caller holds mu
    // Removes a queued job from the queue and its locks (cancel, shutdown);
    // false when it had already started. Caller holds mu.
    bool unqueue(const std::shared_ptr<JobEntry>& e);
};

}  // namespace zenith::core
