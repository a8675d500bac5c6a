// Persistent state in SQLite (<state-dir>/zenith.db): machines, job history
// and the audit trail. Thread-safe (one connection behind a mutex, WAL).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/error.h"
#include "core/job.h"
#include "core/machine.h"

struct sqlite3;

namespace zenith::core {

// Who did what: one row per privileged request that reached a decision.
struct AuditEntry {
    uint64_t timeUsec = 0;     // CLOCK_REALTIME; 0 = now
    uint32_t uid = 0;
    std::string verb;          // create|clone|destroy|start|stop|template|cancel
    std::string machine;
    std::string backend;
    uint32_t job = 0;          // 0 when no job was made
    std::string outcome;       // denied | submitted | done | failed | cancelled | invalid
    std::string detail;        // no secrets
};

class Registry {
public:
    static Result<std::unique_ptr<Registry>> open(const std::string& path);
    ~Registry();

    Result<void> putMachine(const MachineRecord& m);  // insert or replace
    Result<void> removeMachine(const std::string& name);
    Result<std::vector<MachineRecord>> machines() const;
    // The highest machine number ever saved (0 when none), destroyed
    // machines included: the next machine gets a higher one.
    Result<uint32_t> lastMachineNumber() const;

    Result<void> putJob(const JobSnapshot& j);        // insert or replace
    Result<std::vector<JobSnapshot>> jobs(size_t newestN = 1000) const;
    Result<uint32_t> maxJobId() const;                // 0 when none

    Result<void> audit(const AuditEntry& e);
    Result<std::vector<AuditEntry>> auditEntries(size_t newestN = 1000) const;

    // Keeps the audit trail and the finished jobs within `r`: applied now,
    // then again every kPruneEvery writes. Unfinished jobs are never pruned.
    Result<void> setRetention(const Retention& r);
    Result<void> prune();
    static constexpr unsigned kPruneEvery = 64;

    // For the stores that keep tables of their own in this database
    // (core/address_leases): runs `f` on the connection under the registry's
    // lock, inside one IMMEDIATE transaction that is committed when `f`
    // succeeds and rolled back when it fails. The schema stays here.
    Result<void> transaction(const std::function<Result<void>(sqlite3*)>& f);

private:
    explicit Registry(sqlite3* db);
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace zenith::core
