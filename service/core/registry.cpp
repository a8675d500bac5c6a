#include "core/registry.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/sqlite_statement.h"

namespace zenith::core {

namespace {

// Migration i takes the schema from user_version i to i + 1. Append only.
constexpr std::array<std::string_view, 7> kMigrations{R"sql(
CREATE TABLE machines (
    name           TEXT PRIMARY KEY NOT NULL,
    backend        TEXT NOT NULL,
    kind           TEXT NOT NULL,
    state          TEXT NOT NULL,
    distro         TEXT NOT NULL DEFAULT '',
    release        TEXT NOT NULL DEFAULT '',
    arch           TEXT NOT NULL DEFAULT '',
    addresses      TEXT NOT NULL DEFAULT '[]',
    cpu_quota      INTEGER NOT NULL DEFAULT 0,
    memory_max     INTEGER NOT NULL DEFAULT 0,
    node           TEXT NOT NULL DEFAULT '',
    vmid           INTEGER NOT NULL DEFAULT 0,
    created_by_uid INTEGER NOT NULL DEFAULT 0,
    spec_json      TEXT NOT NULL DEFAULT '{}',
    location       TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE TABLE jobs (
    id             INTEGER PRIMARY KEY NOT NULL,
    operation      TEXT NOT NULL,
    machine        TEXT NOT NULL,
    state          TEXT NOT NULL,
    progress       REAL NOT NULL DEFAULT 0,
    step           TEXT NOT NULL DEFAULT '',
    message        TEXT NOT NULL DEFAULT '',
    started_by_uid INTEGER NOT NULL DEFAULT 0,
    cancelable     INTEGER NOT NULL DEFAULT 1,
    error_name     TEXT NOT NULL DEFAULT '',
    error_message  TEXT NOT NULL DEFAULT '',
    started_usec   INTEGER NOT NULL DEFAULT 0,
    finished_usec  INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE TABLE audit (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    time_usec INTEGER NOT NULL,
    uid       INTEGER NOT NULL,
    verb      TEXT NOT NULL,
    machine   TEXT NOT NULL DEFAULT '',
    backend   TEXT NOT NULL DEFAULT '',
    job       INTEGER NOT NULL DEFAULT 0,
    outcome   TEXT NOT NULL,
    detail    TEXT NOT NULL DEFAULT ''
) STRICT;
)sql",
    // 2: each container's user namespace (0 = none).
    R"sql(
ALTER TABLE machines ADD COLUMN uid_shift INTEGER NOT NULL DEFAULT 0;
)sql",
    // 3: address leases of the pools ([Pool.NAME]); one holder per address.
    R"sql(
CREATE TABLE leases (
    pool      TEXT NOT NULL,
    address   INTEGER NOT NULL,
    machine   TEXT NOT NULL,
    time_usec INTEGER NOT NULL,
    PRIMARY KEY (pool, address)
) STRICT;
CREATE INDEX leases_by_machine ON leases (machine);
)sql",
    // 4: facts a driver checkpointed while making a machine (a remote guest's
    // vmid, node, task), so that recovery can find and roll it back.
    R"sql(
ALTER TABLE machines ADD COLUMN checkpoints TEXT NOT NULL DEFAULT '{}';
)sql",
    // 5: leases of the pools' IPv6 parts, the address in its RFC 5952 text
    // (one spelling per address, so the key stays unique).
    R"sql(
CREATE TABLE leases6 (
    pool      TEXT NOT NULL,
    address   TEXT NOT NULL,
    machine   TEXT NOT NULL,
    time_usec INTEGER NOT NULL,
    PRIMARY KEY (pool, address)
) STRICT;
CREATE INDEX leases6_by_machine ON leases6 (machine);
)sql",
    // 6: fingerprints of the SSH host keys made for a machine (JSON array).
    R"sql(
ALTER TABLE machines ADD COLUMN ssh_host_keys TEXT NOT NULL DEFAULT '[]';
)sql",
    // 7: each machine's stable number (its nspawn host link is vi<number>),
    // the bridge it is attached to and that link's name. Machines made
    // before are numbered in the order they were registered. The highest
    // number ever given is kept apart, so that a destroyed machine's number
    // (and link name, which a panel's traffic history is keyed on) is never
    // given to another.
    R"sql(
ALTER TABLE machines ADD COLUMN number INTEGER NOT NULL DEFAULT 0;
ALTER TABLE machines ADD COLUMN bridge TEXT NOT NULL DEFAULT '';
ALTER TABLE machines ADD COLUMN host_link TEXT NOT NULL DEFAULT '';
UPDATE machines SET number = rowid;
UPDATE machines SET bridge = COALESCE(json_extract(spec_json, '$.bridge'), '') WHERE json_valid(spec_json);
CREATE TABLE counters (
    name  TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL
) STRICT;
INSERT INTO counters (name, value) VALUES ('machine_number', (SELECT COALESCE(MAX(number), 0) FROM machines));
)sql"};

constexpr std::string_view kPutMachine =
    "INSERT OR REPLACE INTO machines (name, backend, kind, state, distro, release, arch, addresses, cpu_quota, "
    "memory_max, node, vmid, created_by_uid, spec_json, location, uid_shift, checkpoints, ssh_host_keys, number, bridge, "
    "host_link) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)";
constexpr std::string_view kKeepMachineNumber =
    "UPDATE counters SET value = MAX(value, ?1) WHERE name = 'machine_number'";
constexpr std::string_view kLastMachineNumber = "SELECT value FROM counters WHERE name = 'machine_number'";
constexpr std::string_view kRemoveMachine = "DELETE FROM machines WHERE name = ?1";
constexpr std::string_view kListMachines =
    "SELECT name, backend, kind, state, distro, release, arch, addresses, cpu_quota, memory_max, node, vmid, "
    "created_by_uid, spec_json, location, uid_shift, checkpoints, ssh_host_keys, number, bridge, host_link FROM "
    "machines ORDER BY name";
constexpr std::string_view kPutJob =
    "INSERT OR REPLACE INTO jobs (id, operation, machine, state, progress, step, message, started_by_uid, "
    "cancelable, error_name, error_message, started_usec, finished_usec) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
    "?10, ?11, ?12, ?13)";
constexpr std::string_view kListJobs =
    "SELECT * FROM (SELECT id, operation, machine, state, progress, step, message, started_by_uid, cancelable, "
    "error_name, error_message, started_usec, finished_usec FROM jobs ORDER BY id DESC LIMIT ?1) ORDER BY id";
constexpr std::string_view kMaxJobId = "SELECT COALESCE(MAX(id), 0) FROM jobs";
constexpr std::string_view kInsertAudit =
    "INSERT INTO audit (time_usec, uid, verb, machine, backend, job, outcome, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
    "?7, ?8)";
// Retention: the newest N by id, and none older than a time. Jobs that have
// not finished are kept whatever their age (recovery needs them).
constexpr std::string_view kPruneAuditCount =
    "DELETE FROM audit WHERE id <= (SELECT id FROM audit ORDER BY id DESC LIMIT 1 OFFSET ?1)";
constexpr std::string_view kPruneAuditAge = "DELETE FROM audit WHERE time_usec < ?1";
constexpr std::string_view kPruneJobsCount =
    "DELETE FROM jobs WHERE state IN ('done', 'failed', 'cancelled') AND id <= (SELECT id FROM jobs WHERE state IN "
    "('done', 'failed', 'cancelled') ORDER BY id DESC LIMIT 1 OFFSET ?1)";
constexpr std::string_view kPruneJobsAge =
    "DELETE FROM jobs WHERE state IN ('done', 'failed', 'cancelled') AND finished_usec > 0 AND finished_usec < ?1";
constexpr std::string_view kListAudit =
    "SELECT * FROM (SELECT id, time_usec, uid, verb, machine, backend, job, outcome, detail FROM audit ORDER BY id "
    "DESC LIMIT ?1) ORDER BY id";

std::unexpected<Error> dbError(sqlite3* db, std::string_view what)
{
    return fail(ErrorCode::BackendFailed, fmt::format("registry: {}: {}", what, db ? sqlite3_errmsg(db) : "no database"));
}

uint64_t nowUsec()
{
    using namespace std::chrono;
    return static_cast<uint64_t>(duration_cast<microseconds>(system_clock::now().time_since_epoch()).count());
}

int64_t limitOf(size_t n)
{
    return n > static_cast<size_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(n);
}

}  // namespace

struct Registry::Impl {
    // Declared first so that it is destroyed last, after every statement.
    struct Connection {
        sqlite3* db = nullptr;
        ~Connection() { sqlite3_close_v2(db); }
    } connection;
    sqlite3*& db = connection.db;
    mutable std::mutex mutex;
    // Statements are reset after each use, so const readers may share them.
    mutable SqliteStatement putMachine, removeMachine, listMachines, putJob, listJobs, maxJobId, insertAudit, listAudit,
        keepMachineNumber, lastMachineNumber;
    SqliteStatement pruneAuditCount, pruneAuditAge, pruneJobsCount, pruneJobsAge;
    Retention retention;
    unsigned writesSincePrune = 0;

    // Caller holds `mutex`.
    Result<void> pruneLocked()
    {
        writesSincePrune = 0;
        const uint64_t now = nowUsec();
        auto run = [&](SqliteStatement& st, uint64_t value, std::string_view what) -> Result<void> {
            StatementUse s(st);
            s->bind(1, static_cast<int64_t>(std::min<uint64_t>(value, INT64_MAX)));
            return stepDone(st, what);
        };
        auto cutoff = [&](uint64_t ageSec) { return ageSec * 1000000 >= now ? 0 : now - ageSec * 1000000; };
        if (auto r = run(pruneAuditCount, retention.auditMaxEntries, "pruning the audit trail"); !r)
            return r;
        if (auto r = run(pruneAuditAge, cutoff(retention.auditMaxAgeSec), "pruning the audit trail"); !r)
            return r;
        if (auto r = run(pruneJobsCount, retention.jobsMaxEntries, "pruning the job history"); !r)
            return r;
        return run(pruneJobsAge, cutoff(retention.jobsMaxAgeSec), "pruning the job history");
    }
    // After a write; caller holds `mutex`. A failed prune is not the
    // write's failure: it is tried again later.
    void pruneNowAndThen()
    {
        if (++writesSincePrune >= kPruneEvery)
            (void)pruneLocked();
    }

    Result<void> exec(std::string_view sql, std::string_view what)
    {
        std::string text(sql);
        if (sqlite3_exec(db, text.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK)
            return dbError(db, what);
        return {};
    }

    Result<void> migrate()
    {
        SqliteStatement version;
        if (version.prepare(db, "PRAGMA user_version") != SQLITE_OK || version.step() != SQLITE_ROW)
            return dbError(db, "reading schema version");
        auto current = static_cast<size_t>(version.columnI64(0));
        version.reset();
        if (current > kMigrations.size())
            return fail(ErrorCode::BackendFailed,
                        fmt::format("registry: schema version {} is newer than this daemon knows ({})", current,
                                    kMigrations.size()));
        for (size_t v = current; v < kMigrations.size(); ++v) {
            if (auto r = exec("BEGIN IMMEDIATE", "starting migration"); !r)
                return r;
            auto r = exec(kMigrations[v], fmt::format("migrating schema to version {}", v + 1));
            if (r)
                r = exec(fmt::format("PRAGMA user_version = {}", v + 1), "setting schema version");
            if (r)
                r = exec("COMMIT", "committing migration");
            if (!r) {
                exec("ROLLBACK", "rolling back migration");
                return r;
            }
        }
        return {};
    }

    Result<void> prepareAll()
    {
        const std::array<std::pair<SqliteStatement*, std::string_view>, 14> all{{
            {&pruneAuditCount, kPruneAuditCount},
            {&pruneAuditAge, kPruneAuditAge},
            {&pruneJobsCount, kPruneJobsCount},
            {&pruneJobsAge, kPruneJobsAge},
            {&putMachine, kPutMachine},
            {&removeMachine, kRemoveMachine},
            {&listMachines, kListMachines},
            {&putJob, kPutJob},
            {&listJobs, kListJobs},
            {&maxJobId, kMaxJobId},
            {&insertAudit, kInsertAudit},
            {&listAudit, kListAudit},
            {&keepMachineNumber, kKeepMachineNumber},
            {&lastMachineNumber, kLastMachineNumber},
        }};
        for (auto [stmt, sql] : all)
            if (stmt->prepare(db, sql) != SQLITE_OK)
                return dbError(db, fmt::format("preparing '{}'", sql.substr(0, 40)));
        return {};
    }

    Result<void> stepDone(SqliteStatement& s, std::string_view what)
    {
        if (s.step() != SQLITE_DONE)
            return dbError(db, what);
        return {};
    }
};

Registry::Registry(sqlite3* db) : impl_(std::make_unique<Impl>())
{
    impl_->db = db;
}

Registry::~Registry() = default;

Result<std::unique_ptr<Registry>> Registry::open(const std::string& path)
{
    // Job messages and the audit trail live here: create the file 0600
    // ourselves (SQLite would honour the umask), and tighten an old one.
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return fail(ErrorCode::BackendFailed, fmt::format("registry: cannot open {}: {}", path, std::strerror(errno)));
    int chmodErr = ::fchmod(fd, 0600) < 0 ? errno : 0;
    ::close(fd);
    if (chmodErr)
        return fail(ErrorCode::BackendFailed,
                    fmt::format("registry: cannot make {} private: {}", path, std::strerror(chmodErr)));

    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, nullptr);
    std::unique_ptr<Registry> reg(new Registry(db));
    if (rc != SQLITE_OK)
        return dbError(db, fmt::format("opening {}", path));
    Impl& impl = *reg->impl_;
    sqlite3_extended_result_codes(db, 1);
    // Other processes (zenithctl never opens it, but an admin's sqlite3 may)
    // must not make the daemon fail at once.
    sqlite3_busy_timeout(db, 5000);
    // The WAL is checkpointed every 256 pages (1 MiB) and cut back to 1 MiB
    // after a checkpoint, instead of keeping the size of its busiest moment.
    for (std::string_view pragma : {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL",
                                    "PRAGMA foreign_keys = ON", "PRAGMA secure_delete = ON",
                                    "PRAGMA journal_size_limit = 1048576", "PRAGMA wal_autocheckpoint = 256"})
        if (auto r = impl.exec(pragma, pragma); !r)
            return std::unexpected(r.error());
    if (auto r = impl.migrate(); !r)
        return std::unexpected(r.error());
    if (auto r = impl.prepareAll(); !r)
        return std::unexpected(r.error());
    // SQLite gives -wal/-shm the database's mode; tighten leftovers of older runs.
    for (std::string_view suffix : {"-wal", "-shm"})
        ::chmod((path + std::string(suffix)).c_str(), 0600);
    return reg;
}

Result<void> Registry::putMachine(const MachineRecord& m)
{
    std::lock_guard lock(impl_->mutex);
    StatementUse s(impl_->putMachine);
    s->bind(1, m.name);
    s->bind(2, m.backend);
    s->bind(3, m.kind);
    s->bind(4, toString(m.state));
    s->bind(5, m.distro);
    s->bind(6, m.release);
    s->bind(7, m.arch);
    s->bind(8, nlohmann::json(m.addresses).dump());
    s->bind(9, m.cpuQuota);
    s->bind(10, m.memoryMax);
    s->bind(11, m.node);
    s->bind(12, m.vmid);
    s->bind(13, m.createdByUid);
    s->bind(14, m.specJson);
    s->bind(15, m.location);
    s->bind(16, m.uidShift);
    s->bind(17, nlohmann::json(m.checkpoints).dump());
    s->bind(18, nlohmann::json(m.sshHostKeys).dump());
    s->bind(19, m.number);
    s->bind(20, m.bridge);
    s->bind(21, m.hostLink);
    if (auto r = impl_->stepDone(impl_->putMachine, fmt::format("saving machine '{}'", m.name)); !r)
        return r;
    StatementUse k(impl_->keepMachineNumber);
    k->bind(1, m.number);
    return impl_->stepDone(impl_->keepMachineNumber, "keeping the highest machine number");
}

Result<uint32_t> Registry::lastMachineNumber() const
{
    std::lock_guard lock(impl_->mutex);
    StatementUse s(impl_->lastMachineNumber);
    if (s->step() != SQLITE_ROW)
        return dbError(impl_->db, "reading the highest machine number");
    return s->columnU32(0);
}

Result<void> Registry::removeMachine(const std::string& name)
{
    std::lock_guard lock(impl_->mutex);
    StatementUse s(impl_->removeMachine);
    s->bind(1, name);
    return impl_->stepDone(impl_->removeMachine, fmt::format("removing machine '{}'", name));
}

Result<std::vector<MachineRecord>> Registry::machines() const
{
    std::lock_guard lock(impl_->mutex);
    StatementUse s(impl_->listMachines);
    std::vector<MachineRecord> out;
    int rc;
    while ((rc = s->step()) == SQLITE_ROW) {
        MachineRecord m;
        m.name = s->columnText(0);
        m.backend = s->columnText(1);
        m.kind = s->columnText(2);
        auto stateText = s->columnText(3);
        auto state = machineStateFromString(stateText);
        if (!state)
            return fail(ErrorCode::BackendFailed,
                        fmt::format("registry: machine '{}' has unknown state '{}'", m.name, stateText));
        m.state = *state;
        m.distro = s->columnText(4);
        m.release = s->columnText(5);
        m.arch = s->columnText(6);
        auto addresses = nlohmann::json::parse(s->columnText(7), nullptr, false);
        if (!addresses.is_array())
            return fail(ErrorCode::BackendFailed,
                        fmt::format("registry: machine '{}' has malformed addresses", m.name));
        for (const auto& a : addresses)
            if (a.is_string())
                m.addresses.push_back(a.get<std::string>());
        m.cpuQuota = s->columnU32(8);
        m.memoryMax = s->columnU64(9);
        m.node = s->columnText(10);
        m.vmid = s->columnU32(11);
        m.createdByUid = s->columnU32(12);
        m.specJson = s->columnText(13);
        m.location = s->columnText(14);
        m.uidShift = s->columnU32(15);
        auto checkpoints = nlohmann::json::parse(s->columnText(16), nullptr, false);
        if (!checkpoints.is_object())
            return fail(ErrorCode::BackendFailed,
                        fmt::format("registry: machine '{}' has malformed checkpoints", m.name));
        for (const auto& [k, v] : checkpoints.items())
            if (v.is_string())
                m.checkpoints[k] = v.get<std::string>();
        auto hostKeys = nlohmann::json::parse(s->columnText(17), nullptr, false);
        if (!hostKeys.is_array())
            return fail(ErrorCode::BackendFailed,
                        fmt::format("registry: machine '{}' has malformed SSH host keys", m.name));
        for (const auto& k : hostKeys)
            if (k.is_string())
                m.sshHostKeys.push_back(k.get<std::string>());
        m.number = s->columnU32(18);
        m.bridge = s->columnText(19);
        m.hostLink = s->columnText(20);
        out.push_back(std::move(m));
    }
    if (rc != SQLITE_DONE)
        return dbError(impl_->db, "listing machines");
    return out;
}

Result<void> Registry::putJob(const JobSnapshot& j)
{
    std::lock_guard lock(impl_->mutex);
    StatementUse s(impl_->putJob);
    s->bind(1, j.id);
    s->bind(2, j.operation);
    s->bind(3, j.machine);
    s->bind(4, toString(j.state));
    s->bind(5, j.progress);
    s->bind(6, j.step);
    s->bind(7, j.message);
    s->bind(8, j.startedByUid);
    s->bind(9, j.cancelable);
    s->bind(10, j.errorName);
    s->bind(11, j.errorMessage);
    s->bind(12, j.startedUsec);
    s->bind(13, j.finishedUsec);
    auto r = impl_->stepDone(impl_->putJob, fmt::format("saving job {}", j.id));
    if (r && isFinished(j.state))
        impl_->pruneNowAndThen();
    return r;
}

Result<std::vector<JobSnapshot>> Registry::jobs(size_t newestN) const
{
    std::lock_guard lock(impl_->mutex);
    StatementUse s(impl_->listJobs);
    s->bind(1, limitOf(newestN));
    std::vector<JobSnapshot> out;
    int rc;
    while ((rc = s->step()) == SQLITE_ROW) {
        JobSnapshot j;
        j.id = s->columnU32(0);
        // Operation names are the table's (core/ops); a name this version
        // does not know still lists (it may come from a newer daemon).
        j.operation = s->columnText(1);
        auto state = jobStateFromString(s->columnText(3));
        if (j.operation.empty() || !state)
            return fail(ErrorCode::BackendFailed, fmt::format("registry: job {} has an unknown operation or state", j.id));
        j.machine = s->columnText(2);
        j.state = *state;
        j.progress = s->columnDouble(4);
        j.step = s->columnText(5);
        j.message = s->columnText(6);
        j.startedByUid = s->columnU32(7);
        j.cancelable = s->columnI64(8) != 0;
        j.errorName = s->columnText(9);
        j.errorMessage = s->columnText(10);
        j.startedUsec = s->columnU64(11);
        j.finishedUsec = s->columnU64(12);
        out.push_back(std::move(j));
    }
    if (rc != SQLITE_DONE)
        return dbError(impl_->db, "listing jobs");
    return out;
}

Result<uint32_t> Registry::maxJobId() const
{
    std::lock_guard lock(impl_->mutex);
    StatementUse s(impl_->maxJobId);
    if (s->step() != SQLITE_ROW)
        return dbError(impl_->db, "reading the last job id");
    return s->columnU32(0);
}

Result<void> Registry::audit(const AuditEntry& e)
{
    std::lock_guard lock(impl_->mutex);
    StatementUse s(impl_->insertAudit);
    s->bind(1, e.timeUsec ? e.timeUsec : nowUsec());
    s->bind(2, e.uid);
    s->bind(3, e.verb);
    s->bind(4, e.machine);
    s->bind(5, e.backend);
    s->bind(6, e.job);
    s->bind(7, e.outcome);
    s->bind(8, e.detail);
    auto r = impl_->stepDone(impl_->insertAudit, "writing an audit entry");
    if (r)
        impl_->pruneNowAndThen();
    return r;
}

Result<void> Registry::setRetention(const Retention& r)
{
    std::lock_guard lock(impl_->mutex);
    impl_->retention = r;
    return impl_->pruneLocked();
}

Result<void> Registry::prune()
{
    std::lock_guard lock(impl_->mutex);
    return impl_->pruneLocked();
}

Result<std::vector<AuditEntry>> Registry::auditEntries(size_t newestN) const
{
    std::lock_guard lock(impl_->mutex);
    StatementUse s(impl_->listAudit);
    s->bind(1, limitOf(newestN));
    std::vector<AuditEntry> out;
    int rc;
    while ((rc = s->step()) == SQLITE_ROW) {
        AuditEntry e;
        e.timeUsec = s->columnU64(1);
        e.uid = s->columnU32(2);
        e.verb = s->columnText(3);
        e.machine = s->columnText(4);
        e.backend = s->columnText(5);
        e.job = s->columnU32(6);
        e.outcome = s->columnText(7);
        e.detail = s->columnText(8);
        out.push_back(std::move(e));
    }
    if (rc != SQLITE_DONE)
        return dbError(impl_->db, "listing audit entries");
    return out;
}

Result<void> Registry::transaction(const std::function<Result<void>(sqlite3*)>& f)
{
    std::lock_guard lock(impl_->mutex);
    if (auto r = impl_->exec("BEGIN IMMEDIATE", "starting a transaction"); !r)
        return r;
    auto r = f(impl_->db);
    if (r)
        r = impl_->exec("COMMIT", "committing a transaction");
    if (!r)
        (void)impl_->exec("ROLLBACK", "rolling back a transaction");
    return r;
}

}  // namespace zenith::core
