// The provisioning engine: validates requests, owns the job table, runs each
// job's driver work on a worker thread, keeps the registry and the audit
// trail, and tells an observer what changed. No D-Bus here: service/dbus is a
// thin facade that authorizes, calls the engine and mirrors its events.
//
// Threading: every public method is cheap and safe to call from the bus loop
// (it never waits for driver work). Observer callbacks arrive from worker
// threads; the facade must hop to its own loop before touching the bus.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/error.h"
#include "core/job.h"
#include "core/machine.h"
#include "core/net/nat_rules.h"
#include "core/ops/operation.h"
#include "core/registry.h"
#include "core/request.h"
#include "core/spec.h"
#include "core/spec_value.h"
#include "drivers/driver.h"

namespace zenith::core {

class EngineObserver {
public:
    virtual ~EngineObserver() = default;
    virtual void jobAdded(const JobSnapshot& job) = 0;
    // Progress/step/message/state/cancelable changed (not rate-limited here).
    virtual void jobChanged(const JobSnapshot& job) = 0;
    // Final state reached; called once, after the last jobChanged.
    virtual void jobFinished(const JobSnapshot& job) = 0;
    virtual void machineAdded(const MachineRecord& m) = 0;
    virtual void machineChanged(const MachineRecord& m) = 0;
    virtual void machineRemoved(const MachineRecord& m) = 0;
};

// An address pool and how much of it is in use (ListPools).
// One family of a pool: a pool with both an IPv4 and an IPv6 subnet is two
// of these, its IPv4 part first.
struct PoolUsage {
    std::string name;
    std::string subnet;    // 10.1.10.0/24 or 2001:db8:10::/64
    std::string gateway;   // "" for none
    std::string range;     // 10.1.10.91-10.1.10.250
    std::vector<std::string> dns;
    uint32_t size = 0;     // addresses in the range (at most 2^32 - 1: an IPv6 range is larger)
    uint32_t leased = 0;   // leases held (inside the range or not)
};

struct LeaseInfo {
    std::string address;   // a.b.c.d or an IPv6 address
    std::string machine;
};

struct Submitted {
    uint32_t jobId = 0;
    std::string machine;
};

class Engine {
public:
    Engine(Config config, Registry& registry, std::vector<std::unique_ptr<drivers::Driver>> drivers);
    // Cancels running jobs and joins their threads: call shutdown() first
    // when a job may be stuck.
    ~Engine();

    // Daemon stop: cancels every running job and waits up to `timeout` for
    // them to end (rolling back what they made). A job still running then is
    // stuck (in I/O, in a driver bug): it is recorded as failed and
    // abandoned, and its id returned. With stuck jobs the engine must not be
    // destroyed (their threads still use it): the caller leaves the process
    // (the next start rolls back what they left).
    std::vector<uint32_t> shutdown(std::chrono::milliseconds timeout);

    void setObserver(EngineObserver* observer);  // before recover()
    // How the host's NAT table is made to hold exactly the given rules
    // (net::applyNatRules in the daemon); before recover(). Called at
    // recovery and after every job that made or removed a machine, one call
    // at a time. Unset: no host firewall (tests of other things).
    void setNatApplier(std::function<Result<void>(const NatRules&)> apply);

    // Start-up: marks jobs that were running when the daemon died as failed
    // and loads the machines with their recorded state; then a `recover` job
    // (Job.Operation "recover", uid 0) checks them on worker threads, in
    // parallel: their true state (driver probe), half-made machines rolled
    // back. Each machine is Busy until it is checked. Returns at once.
    Result<void> recover();
    // True once the `recover` job (if any) has finished.
    bool waitRecovered(std::chrono::milliseconds timeout) const;

    // Pure validation (no state change), before authorization: the named
    // operation's prepare() from the operations table.
    Result<Request> prepare(std::string_view operation, const OperationInput& input) const;
    // The same for the bus methods' argument shapes.
    Result<Request> prepareCreate(const std::string& name, const std::string& backend, const SpecMap& spec,
                                  uint64_t flags) const;
    Result<Request> prepareClone(const std::string& source, const std::string& newName, const SpecMap& overrides,
                                 uint64_t flags) const;
    // An operation on an existing machine: destroy | start | stop | template.
    Result<Request> prepareSimple(std::string_view operation, const std::string& name, uint64_t flags) const;

    // After authorization: checks existence and locks (Busy), then starts
    // the job, or queues it while MaxJobs run (LimitsExceeded only when
    // MaxQueuedJobs wait already). DRY_RUN: a job that completes at once
    // with the plan.
    Result<Submitted> submit(const Request& request, uint32_t uid);

    // NoSuchJob, NotCancelable (finished or past its point of no return).
    // A queued job ends at once, cancelled.
    Result<void> cancel(uint32_t jobId);

    std::vector<MachineRecord> machines() const;
    std::optional<MachineRecord> machine(const std::string& name) const;
    std::vector<JobSnapshot> jobs() const;              // live and recently finished
    std::optional<JobSnapshot> job(uint32_t id) const;
    Result<std::vector<drivers::ImageInfo>> images(const std::string& backend);
    bool hasBackend(const std::string& backend) const;
    // Address pools ([Pool.NAME]) with their use; a pool's leases, by
    // address; the address ipv4=auto would get now (a preview: a create
    // running meanwhile may take it; the job's lease is what counts).
    // Unknown pool: InvalidArgs naming the configured ones.
    Result<std::vector<PoolUsage>> pools() const;
    Result<std::vector<LeaseInfo>> poolLeases(const std::string& pool) const;
    // What ipv4=auto would get now (a pool without an IPv4 part: ipv6=auto).
    Result<std::string> nextFreeAddress(const std::string& pool) const;
    // What ipv6=auto would get now; InvalidArgs for a pool without IPv6.
    Result<std::string> nextFreeAddress6(const std::string& pool) const;

    // A remote backend's hosts and storages (NotSupported for a backend
    // without them), a machine's health as its backend last saw it, and its
    // backups. From the drivers' caches: never remote on the caller's thread.
    Result<std::vector<drivers::NodeInfo>> nodes(const std::string& backend);
    Result<std::vector<drivers::StorageSummary>> storages(const std::string& backend);
    Result<drivers::MachineHealth> health(const std::string& machine);
    Result<std::vector<drivers::BackupInfo>> backups(const std::string& machine);

    // A common spec key or one a configured backend registered.
    bool isSpecKey(std::string_view key) const;

    // Audit a decision that produced no job (denied, invalid).
    void audit(AuditEntry entry);

    const Config& config() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace zenith::core
