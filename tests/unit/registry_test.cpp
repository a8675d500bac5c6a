#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/registry.h"

using namespace zenith::core;
using ::testing::HasSubstr;

namespace {

class RegistryTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char tmpl[] = "/tmp/zenith-registry-test-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        path_ = dir_ + "/zenith.db";
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::unique_ptr<Registry> openOk()
    {
        auto r = Registry::open(path_);
        EXPECT_TRUE(r) << r.error().message;
        return r ? std::move(*r) : nullptr;
    }

    static mode_t modeOf(const std::string& p)
    {
        struct stat st {};
        EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
        return st.st_mode & 07777;
    }

    static MachineRecord sampleMachine(const std::string& name)
    {
        MachineRecord m;
        m.name = name;
        m.backend = "nspawn";
        m.kind = "container";
        m.state = MachineState::Running;
        m.distro = "debian";
        m.release = "bookworm";
        m.arch = "amd64";
        m.addresses = {"10.1.10.91/24", "2001:db8::91/64"};
        m.cpuQuota = 150;
        m.memoryMax = UINT64_MAX;  // beyond int64: must survive the signed column
        m.node = "pve1";
        m.vmid = 4242;
        m.createdByUid = 1000;
        m.specJson = R"({"distro":"debian","cpu_quota":150})";
        m.location = "/var/lib/machines/" + name;
        m.number = 7;
        m.bridge = "br0";
        m.hostLink = "vi7";
        return m;
    }

    static void expectSameMachine(const MachineRecord& a, const MachineRecord& b)
    {
        EXPECT_EQ(a.name, b.name);
        EXPECT_EQ(a.backend, b.backend);
        EXPECT_EQ(a.kind, b.kind);
        EXPECT_EQ(a.state, b.state);
        EXPECT_EQ(a.distro, b.distro);
        EXPECT_EQ(a.release, b.release);
        EXPECT_EQ(a.arch, b.arch);
        EXPECT_EQ(a.addresses, b.addresses);
        EXPECT_EQ(a.cpuQuota, b.cpuQuota);
        EXPECT_EQ(a.memoryMax, b.memoryMax);
        EXPECT_EQ(a.node, b.node);
        EXPECT_EQ(a.vmid, b.vmid);
        EXPECT_EQ(a.createdByUid, b.createdByUid);
        EXPECT_EQ(a.specJson, b.specJson);
        EXPECT_EQ(a.location, b.location);
        EXPECT_EQ(a.number, b.number);
        EXPECT_EQ(a.bridge, b.bridge);
        EXPECT_EQ(a.hostLink, b.hostLink);
    }

    static JobSnapshot sampleJob(uint32_t id)
    {
        JobSnapshot j;
        j.id = id;
        j.operation = "clone";
        j.machine = "web" + std::to_string(id);
        j.state = JobState::Failed;
        j.progress = 0.375;
        j.step = "debootstrap";
        j.message = "Unpacking base system: 37 % ('quoted')";
        j.startedByUid = 1001;
        j.cancelable = false;
        j.errorName = "BackendFailed";
        j.errorMessage = "debootstrap exited with status 1";
        // Recent: the default retention prunes finished jobs older than 90 days.
        j.startedUsec = recentUsec() + id;
        j.finishedUsec = recentUsec() + 500000 + id;
        return j;
    }
    static uint64_t recentUsec()
    {
        static const uint64_t base = std::chrono::duration_cast<std::chrono::microseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count() -
                                     3600ull * 1000000;
        return base;
    }

    std::string dir_, path_;
};

TEST_F(RegistryTest, DatabaseFilesArePrivateWhateverTheUmask)
{
    mode_t old = ::umask(0);
    auto reg = openOk();
    ::umask(old);
    ASSERT_TRUE(reg);
    ASSERT_TRUE(reg->putJob(sampleJob(1)));
    EXPECT_EQ(modeOf(path_), 0600);
    ASSERT_TRUE(std::filesystem::exists(path_ + "-wal"));  // WAL mode is on
    EXPECT_EQ(modeOf(path_ + "-wal"), 0600);
    EXPECT_EQ(modeOf(path_ + "-shm"), 0600);
}

TEST_F(RegistryTest, AnExistingReadableFileIsTightened)
{
    { std::ofstream touch(path_); }
    ASSERT_EQ(::chmod(path_.c_str(), 0644), 0);
    auto reg = openOk();
    ASSERT_TRUE(reg);
    EXPECT_EQ(modeOf(path_), 0600);
}

TEST_F(RegistryTest, SchemaIsVersionedAndWal)
{
    ASSERT_TRUE(openOk());
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    auto scalar = [&](const char* sql) {
        sqlite3_stmt* st = nullptr;
        EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK);
        EXPECT_EQ(sqlite3_step(st), SQLITE_ROW);
        std::string v = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        return v;
    };
    EXPECT_EQ(scalar("PRAGMA user_version"), "7");
    EXPECT_EQ(scalar("PRAGMA journal_mode"), "wal");
    EXPECT_EQ(scalar("SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE type = 'table' "
                     "AND name NOT LIKE 'sqlite_%' ORDER BY name)"),
              "audit,counters,jobs,leases,leases6,machines");
    sqlite3_close(db);
}

// A database of the first schema gains the user namespace column, the
// leases tables, the checkpoints and SSH host key columns, and its machines
// read back with none; they are numbered in the order they were registered,
// with the bridge their spec named.
TEST_F(RegistryTest, MigratesAVersionOneDatabase)
{
    {
        auto reg = openOk();
        auto web1 = sampleMachine("web1");
        web1.specJson = R"({"bridge":"zbr1"})";
        ASSERT_TRUE(reg->putMachine(web1));
        auto web0 = sampleMachine("web0");
        web0.specJson = "{}";
        ASSERT_TRUE(reg->putMachine(web0));
    }
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "ALTER TABLE machines DROP COLUMN uid_shift; ALTER TABLE machines DROP COLUMN checkpoints; "
                           "ALTER TABLE machines DROP COLUMN ssh_host_keys; ALTER TABLE machines DROP COLUMN number; "
                           "ALTER TABLE machines DROP COLUMN bridge; ALTER TABLE machines DROP COLUMN host_link; "
                           "DROP TABLE counters; DROP TABLE leases; DROP TABLE leases6; PRAGMA user_version = 1",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
    auto reg = openOk();
    ASSERT_TRUE(reg);
    auto m = sampleMachine("web2");
    m.uidShift = 589824;
    m.checkpoints = {{"vmid", "9101"}, {"node", "pve1"}};
    m.sshHostKeys = {"ssh-ed25519 SHA256:GAUfW5O6dwdvq6rbH8ORvx34aqh6yETufcwAcr1Tz7U"};
    ASSERT_TRUE(reg->putMachine(m));
    auto all = reg->machines();
    ASSERT_EQ(all->size(), 3u);  // web0, web1, web2
    EXPECT_EQ(all->at(1).uidShift, 0u);
    EXPECT_TRUE(all->at(1).checkpoints.empty());
    EXPECT_EQ(all->at(2).uidShift, 589824u);
    EXPECT_EQ(all->at(2).checkpoints, m.checkpoints);
    EXPECT_TRUE(all->at(1).sshHostKeys.empty());
    EXPECT_EQ(all->at(2).sshHostKeys, m.sshHostKeys);
    EXPECT_EQ(all->at(1).number, 1u);
    EXPECT_EQ(all->at(0).number, 2u);
    EXPECT_EQ(all->at(1).bridge, "zbr1");
    EXPECT_EQ(all->at(0).bridge, "");
    EXPECT_EQ(all->at(1).hostLink, "");  // systemd-nspawn's own veth until re-created
    // web2 came with number 7 of its own.
    EXPECT_EQ(reg->lastMachineNumber().value_or(0), 7u);
}

// A destroyed machine's number is never given again: the highest one ever
// saved outlives its machine, and a reopen.
TEST_F(RegistryTest, TheHighestMachineNumberOutlivesItsMachine)
{
    {
        auto reg = openOk();
        EXPECT_EQ(reg->lastMachineNumber().value_or(99), 0u);
        auto a = sampleMachine("a");
        a.number = 41;
        auto b = sampleMachine("b");
        b.number = 40;
        ASSERT_TRUE(reg->putMachine(a));
        ASSERT_TRUE(reg->putMachine(b));
        EXPECT_EQ(reg->lastMachineNumber().value_or(0), 41u);
        ASSERT_TRUE(reg->removeMachine("a"));
    }
    auto reg = openOk();
    EXPECT_EQ(reg->lastMachineNumber().value_or(0), 41u);
}

TEST_F(RegistryTest, RefusesASchemaFromTheFuture)
{
    ASSERT_TRUE(openOk());
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    auto r = Registry::open(path_);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::BackendFailed);
    EXPECT_THAT(r.error().message, HasSubstr("schema version 99"));
}

TEST_F(RegistryTest, OpenFailsClearlyWhereNoFileCanBe)
{
    auto r = Registry::open(dir_ + "/missing-dir/zenith.db");
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message, HasSubstr("missing-dir/zenith.db"));
}

TEST_F(RegistryTest, MachinesRoundTripReplaceAndRemove)
{
    auto reg = openOk();
    ASSERT_TRUE(reg);
    auto empty = reg->machines();
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->empty());

    MachineRecord web = sampleMachine("web1");
    MachineRecord db = sampleMachine("db1");
    db.addresses.clear();
    db.state = MachineState::Template;
    db.kind = "vm";
    ASSERT_TRUE(reg->putMachine(web));
    ASSERT_TRUE(reg->putMachine(db));

    auto all = reg->machines();
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 2u);
    expectSameMachine((*all)[0], db);  // ordered by name
    expectSameMachine((*all)[1], web);

    web.state = MachineState::Stopped;
    web.addresses = {"10.1.10.92/24"};
    ASSERT_TRUE(reg->putMachine(web));
    all = reg->machines();
    ASSERT_EQ(all->size(), 2u);
    expectSameMachine((*all)[1], web);

    ASSERT_TRUE(reg->removeMachine("db1"));
    ASSERT_TRUE(reg->removeMachine("never-existed"));
    all = reg->machines();
    ASSERT_EQ(all->size(), 1u);
    EXPECT_EQ((*all)[0].name, "web1");
}

TEST_F(RegistryTest, EveryMachineStateRoundTrips)
{
    auto reg = openOk();
    for (auto s : {MachineState::Creating, MachineState::Stopped, MachineState::Starting, MachineState::Running,
                   MachineState::Stopping, MachineState::Destroying, MachineState::Template, MachineState::Failed}) {
        MachineRecord m = sampleMachine("m");
        m.state = s;
        ASSERT_TRUE(reg->putMachine(m));
        EXPECT_EQ(reg->machines()->at(0).state, s);
    }
}

TEST_F(RegistryTest, JobsRoundTripNewestFirstWindowAndMaxId)
{
    auto reg = openOk();
    ASSERT_TRUE(reg);
    EXPECT_EQ(reg->maxJobId(), 0u);
    for (uint32_t id : {3u, 1u, 2u, 10u})
        ASSERT_TRUE(reg->putJob(sampleJob(id)));
    EXPECT_EQ(reg->maxJobId(), 10u);

    auto jobs = reg->jobs();
    ASSERT_TRUE(jobs);
    ASSERT_EQ(jobs->size(), 4u);
    EXPECT_EQ((*jobs)[0].id, 1u);
    EXPECT_EQ((*jobs)[3].id, 10u);
    const JobSnapshot want = sampleJob(2);
    const JobSnapshot& got = (*jobs)[1];
    EXPECT_EQ(got.id, want.id);
    EXPECT_EQ(got.operation, want.operation);
    EXPECT_EQ(got.machine, want.machine);
    EXPECT_EQ(got.state, want.state);
    EXPECT_DOUBLE_EQ(got.progress, want.progress);
    EXPECT_EQ(got.step, want.step);
    EXPECT_EQ(got.message, want.message);
    EXPECT_EQ(got.startedByUid, want.startedByUid);
    EXPECT_EQ(got.cancelable, want.cancelable);
    EXPECT_EQ(got.errorName, want.errorName);
    EXPECT_EQ(got.errorMessage, want.errorMessage);
    EXPECT_EQ(got.startedUsec, want.startedUsec);
    EXPECT_EQ(got.finishedUsec, want.finishedUsec);

    auto newest2 = reg->jobs(2);
    ASSERT_EQ(newest2->size(), 2u);
    EXPECT_EQ((*newest2)[0].id, 3u);
    EXPECT_EQ((*newest2)[1].id, 10u);

    JobSnapshot update = sampleJob(3);
    update.state = JobState::Done;
    update.progress = 1.0;
    update.cancelable = true;
    update.operation = "template";
    ASSERT_TRUE(reg->putJob(update));
    auto after = reg->jobs();
    ASSERT_EQ(after->size(), 4u);
    EXPECT_EQ((*after)[2].state, JobState::Done);
    EXPECT_EQ((*after)[2].operation, "template");
    EXPECT_TRUE((*after)[2].cancelable);
    EXPECT_DOUBLE_EQ((*after)[2].progress, 1.0);
}

TEST_F(RegistryTest, AuditRoundTripAndTimestamps)
{
    auto reg = openOk();
    ASSERT_TRUE(reg);
    AuditEntry denied{0, 1002, "create", "web1", "nspawn", 0, "denied", "polkit: not authorized"};
    AuditEntry done{1700000000123456ull, 1000, "destroy", "db1", "proxmox-lxc", 42, "done", ""};
    auto before = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count();
    ASSERT_TRUE(reg->audit(denied));
    auto after = std::chrono::duration_cast<std::chrono::microseconds>(
                     std::chrono::system_clock::now().time_since_epoch()).count();
    ASSERT_TRUE(reg->audit(done));

    auto entries = reg->auditEntries();
    ASSERT_TRUE(entries);
    ASSERT_EQ(entries->size(), 2u);
    const AuditEntry& a = (*entries)[0];
    EXPECT_GE(a.timeUsec, static_cast<uint64_t>(before));  // 0 became "now"
    EXPECT_LE(a.timeUsec, static_cast<uint64_t>(after));
    EXPECT_EQ(a.uid, 1002u);
    EXPECT_EQ(a.verb, "create");
    EXPECT_EQ(a.machine, "web1");
    EXPECT_EQ(a.backend, "nspawn");
    EXPECT_EQ(a.job, 0u);
    EXPECT_EQ(a.outcome, "denied");
    EXPECT_EQ(a.detail, "polkit: not authorized");
    const AuditEntry& b = (*entries)[1];
    EXPECT_EQ(b.timeUsec, 1700000000123456ull);
    EXPECT_EQ(b.job, 42u);
    EXPECT_EQ(b.backend, "proxmox-lxc");

    auto newest = reg->auditEntries(1);
    ASSERT_EQ(newest->size(), 1u);
    EXPECT_EQ((*newest)[0].verb, "destroy");
}

TEST_F(RegistryTest, EverythingSurvivesAReopen)
{
    {
        auto reg = openOk();
        ASSERT_TRUE(reg->putMachine(sampleMachine("web1")));
        ASSERT_TRUE(reg->putJob(sampleJob(7)));
        ASSERT_TRUE(reg->audit({1, 0, "start", "web1", "nspawn", 7, "submitted", "x"}));
    }
    auto reg = openOk();
    ASSERT_TRUE(reg);
    auto machines = reg->machines();
    ASSERT_EQ(machines->size(), 1u);
    expectSameMachine((*machines)[0], sampleMachine("web1"));
    EXPECT_EQ(reg->maxJobId(), 7u);
    EXPECT_EQ(reg->jobs()->at(0).message, sampleJob(7).message);
    ASSERT_EQ(reg->auditEntries()->size(), 1u);
    EXPECT_EQ(reg->auditEntries()->at(0).outcome, "submitted");
}

TEST_F(RegistryTest, ConcurrentWritersAllLand)
{
    auto reg = openOk();
    ASSERT_TRUE(reg);
    std::vector<std::thread> threads;
    for (uint32_t t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (uint32_t i = 0; i < 50; ++i) {
                EXPECT_TRUE(reg->putJob(sampleJob(t * 100 + i + 1)));
                EXPECT_TRUE(reg->audit({0, t, "start", "m", "nspawn", i, "submitted", ""}));
                EXPECT_TRUE(reg->machines());
            }
        });
    for (auto& th : threads)
        th.join();
    EXPECT_EQ(reg->jobs()->size(), 200u);
    EXPECT_EQ(reg->auditEntries()->size(), 200u);
    EXPECT_EQ(reg->maxJobId(), 350u);
}

// Anyone can make the daemon audit a refusal: the trail and the job history
// are kept within a count and an age.
TEST_F(RegistryTest, RetentionKeepsTheNewestWithinCountAndAge)
{
    auto reg = openOk();
    ASSERT_TRUE(reg);
    Retention r;
    r.auditMaxEntries = 50;
    r.jobsMaxEntries = 60;
    ASSERT_TRUE(reg->setRetention(r));
    for (uint32_t i = 1; i <= 200; ++i) {
        ASSERT_TRUE(reg->audit({0, 1000, "create", "m" + std::to_string(i), "nspawn", 0, "denied", ""}));
        ASSERT_TRUE(reg->putJob(sampleJob(i)));
    }
    JobSnapshot running = sampleJob(1000);
    running.state = JobState::Running;
    running.finishedUsec = 0;
    ASSERT_TRUE(reg->putJob(running));
    ASSERT_TRUE(reg->prune());
    auto audit = reg->auditEntries(1000);
    ASSERT_EQ(audit->size(), 50u);
    EXPECT_EQ(audit->back().machine, "m200");
    EXPECT_EQ(audit->front().machine, "m151");
    auto jobs = reg->jobs(1000);
    ASSERT_EQ(jobs->size(), 61u);  // 60 finished + the running one, whatever the count
    EXPECT_EQ(jobs->front().id, 141u);
    EXPECT_EQ(jobs->back().id, 1000u);

    // By age: an old finished job and an old audit entry go; a job still
    // running stays however old (recovery needs it).
    JobSnapshot old = sampleJob(2000);
    old.finishedUsec = 1000000;
    ASSERT_TRUE(reg->putJob(old));
    JobSnapshot oldRunning = sampleJob(2001);
    oldRunning.state = JobState::Running;
    oldRunning.startedUsec = 1000000;
    oldRunning.finishedUsec = 0;
    ASSERT_TRUE(reg->putJob(oldRunning));
    ASSERT_TRUE(reg->audit({1000000, 1000, "create", "ancient", "nspawn", 0, "denied", ""}));
    ASSERT_TRUE(reg->prune());
    jobs = reg->jobs(1000);
    EXPECT_TRUE(std::none_of(jobs->begin(), jobs->end(), [](auto& j) { return j.id == 2000; }));
    EXPECT_TRUE(std::any_of(jobs->begin(), jobs->end(), [](auto& j) { return j.id == 2001; }));
    audit = reg->auditEntries(1000);
    EXPECT_TRUE(std::none_of(audit->begin(), audit->end(), [](auto& e) { return e.machine == "ancient"; }));
}

// Pruning needs no call of its own: writes trigger it.
TEST_F(RegistryTest, WritesPruneOnTheirOwn)
{
    auto reg = openOk();
    ASSERT_TRUE(reg);
    Retention r;
    r.auditMaxEntries = 50;
    ASSERT_TRUE(reg->setRetention(r));
    for (uint32_t i = 0; i < 1000; ++i)
        ASSERT_TRUE(reg->audit({0, 1000, "create", "m", "nspawn", 0, "denied", ""}));
    EXPECT_LE(reg->auditEntries(5000)->size(), 50u + Registry::kPruneEvery);
}

TEST_F(RegistryTest, CorruptRowsAreReportedNotGuessed)
{
    auto reg = openOk();
    ASSERT_TRUE(reg->putMachine(sampleMachine("web1")));
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "UPDATE machines SET state = 'exploded'", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    auto r = reg->machines();
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message, HasSubstr("unknown state 'exploded'"));
}

}  // namespace
