// The engine with a scripted fake driver and a real SQLite registry in a
// temp dir: job lifecycle, monotonic progress, cancel and rollback, Busy,
// LimitsExceeded, DRY_RUN and recovery after a daemon restart.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>

#include "core/engine.h"
#include "core/flags.h"
#include "core/registry.h"

namespace fs = std::filesystem;
using namespace zenith;
using namespace std::chrono_literals;
using core::ErrorCode;
using core::JobState;
using core::MachineState;

namespace {

// A driver whose create() blocks until the test releases it or the job is
// cancelled, so tests can act while a job runs.
class FakeDriver final : public drivers::Driver {
public:
    std::mutex mu;
    std::condition_variable cv;
    bool release = false;
    bool failCreate = false;
    std::set<std::string> made;        // what exists "on disk"
    std::set<std::string> running;
    std::vector<std::string> rolledBack;
    std::atomic<int> createsEntered{0};
    // The spec the last create was handed (it lives in the engine's job entry).
    const core::MachineSpec* lastSpec = nullptr;
    bool lastSpecHadPassword = false;

    std::string_view id() const override { return "nspawn"; }
    std::string_view kind() const override { return "container"; }
    core::Result<void> validate(const core::MachineSpec& s) const override
    {
        if (s.release && *s.release == "hamm")
            return core::fail(ErrorCode::InvalidArgs, "unknown release 'hamm' (key 'release')");
        return {};
    }
    std::string plan(const std::string& name, const core::MachineSpec&) const override
    {
        return "would create " + name;
    }
    core::Result<drivers::MachineFacts> create(const std::string& name, const core::MachineSpec& spec, bool start,
                                               drivers::JobContext& ctx) override
    {
        {
            std::lock_guard l(mu);
            made.insert(name);
            lastSpec = &spec;
            lastSpecHadPassword = spec.password.has_value();
        }
        ++createsEntered;
        ctx.progress(0.5, "base-image", "half");
        ctx.progress(0.3, "clone", "a driver that goes backwards");  // must not lower Progress
        // Registered before taking the lock: it may run at once, and it locks.
        std::stop_callback wake(ctx.stopToken(), [this] {
            std::lock_guard g(mu);
            cv.notify_all();
        });
        std::unique_lock l(mu);
        cv.wait(l, [&] { return release || ctx.cancelRequested(); });
        if (ctx.cancelRequested()) {
            made.erase(name);
            return core::fail(ErrorCode::Cancelled, "cancelled during fake work");
        }
        if (failCreate) {
            made.erase(name);
            return core::fail(ErrorCode::BackendFailed, "scripted failure");
        }
        if (start)
            running.insert(name);
        return drivers::MachineFacts{.distro = "debian", .release = spec.release.value_or("bookworm"), .arch = "amd64",
                                     .location = "/fake/" + name};
    }
    core::Result<drivers::MachineFacts> clone(const core::MachineRecord& src, const std::string& n,
                                              const core::MachineSpec& s, bool start, drivers::JobContext& c) override
    {
        return create(n, s, start, c);
    }
    core::Result<void> start(const core::MachineRecord& m, drivers::JobContext&) override
    {
        std::lock_guard l(mu);
        running.insert(m.name);
        return {};
    }
    core::Result<void> stop(const core::MachineRecord& m, bool, drivers::JobContext&) override
    {
        std::lock_guard l(mu);
        running.erase(m.name);
        return {};
    }
    core::Result<void> destroy(const core::MachineRecord& m, bool force, drivers::JobContext& ctx) override
    {
        std::lock_guard l(mu);
        if (running.contains(m.name) && !force)
            return core::fail(ErrorCode::Busy, "running; use FORCE");
        ctx.setCancelable(false);
        running.erase(m.name);
        made.erase(m.name);
        return {};
    }
    core::Result<void> makeTemplate(const core::MachineRecord&, drivers::JobContext&) override { return {}; }
    MachineState probe(const core::MachineRecord& m) override
    {
        std::lock_guard l(mu);
        return running.contains(m.name) ? MachineState::Running : MachineState::Stopped;
    }
    void rollbackPartial(const core::MachineRecord& m) override
    {
        std::lock_guard l(mu);
        rolledBack.push_back(m.name);
        made.erase(m.name);
    }
    core::Result<std::vector<drivers::ImageInfo>> images() override { return std::vector<drivers::ImageInfo>{}; }
    void setStateListener(StateListener) override {}

    void releaseAll()
    {
        std::lock_guard l(mu);
        release = true;
        cv.notify_all();
    }
};

class RecordingObserver final : public core::EngineObserver {
public:
    std::mutex mu;
    std::condition_variable cv;
    std::vector<core::JobSnapshot> changes;
    std::map<uint32_t, core::JobSnapshot> finished;
    std::map<uint32_t, int> finishedCount;
    std::vector<std::string> machineEvents;

    void jobAdded(const core::JobSnapshot& j) override { record(j); }
    void jobChanged(const core::JobSnapshot& j) override { record(j); }
    void jobFinished(const core::JobSnapshot& j) override
    {
        std::lock_guard l(mu);
        finished[j.id] = j;
        ++finishedCount[j.id];
        cv.notify_all();
    }
    void machineAdded(const core::MachineRecord& m) override { event("added " + m.name); }
    void machineChanged(const core::MachineRecord& m) override
    {
        event("changed " + m.name + " " + std::string(core::toString(m.state)));
    }
    void machineRemoved(const core::MachineRecord& m) override { event("removed " + m.name); }

    core::JobSnapshot waitFinished(uint32_t id)
    {
        std::unique_lock l(mu);
        EXPECT_TRUE(cv.wait_for(l, 10s, [&] { return finished.contains(id); })) << "job " << id << " never finished";
        return finished[id];
    }
    std::vector<double> progressOf(uint32_t id)
    {
        std::lock_guard l(mu);
        std::vector<double> out;
        for (auto& c : changes)
            if (c.id == id)
                out.push_back(c.progress);
        return out;
    }

private:
    void record(const core::JobSnapshot& j)
    {
        std::lock_guard l(mu);
        changes.push_back(j);
    }
    void event(std::string e)
    {
        std::lock_guard l(mu);
        machineEvents.push_back(std::move(e));
    }
};

class EngineTest : public ::testing::Test {
protected:
    fs::path dir;
    std::unique_ptr<core::Registry> registry;
    FakeDriver* driver = nullptr;
    RecordingObserver observer;
    std::unique_ptr<core::Engine> engine;

    void SetUp() override
    {
        dir = fs::temp_directory_path() / ("zenith-engine-test-" + std::to_string(::getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir);
        openEngine(4);
    }
    void TearDown() override
    {
        if (driver)
            driver->releaseAll();
        engine.reset();
        registry.reset();
        fs::remove_all(dir);
    }
    void openEngine(uint32_t maxJobs, std::unique_ptr<FakeDriver> reuse = nullptr)
    {
        auto r = core::Registry::open((dir / "zenith.db").string());
        ASSERT_TRUE(r.has_value()) << r.error().message;
        registry = std::move(*r);
        auto d = reuse ? std::move(reuse) : std::make_unique<FakeDriver>();
        driver = d.get();
        std::vector<std::unique_ptr<drivers::Driver>> ds;
        ds.push_back(std::move(d));
        core::Config cfg;
        cfg.maxJobs = maxJobs;
        engine = std::make_unique<core::Engine>(cfg, *registry, std::move(ds));
        engine->setObserver(&observer);
        ASSERT_TRUE(engine->recover().has_value());
    }
    core::Submitted submitCreate(const std::string& name, uint64_t flags = 0)
    {
        auto req = engine->prepareCreate(name, "nspawn", {}, flags);
        EXPECT_TRUE(req.has_value()) << req.error().message;
        auto s = engine->submit(*req, 1000);
        EXPECT_TRUE(s.has_value()) << s.error().message;
        return *s;
    }
};

TEST_F(EngineTest, CreateRunsToDoneWithMonotonicProgressAndPersists)
{
    auto s = submitCreate("web1");
    driver->releaseAll();
    auto j = observer.waitFinished(s.jobId);
    EXPECT_EQ(j.state, JobState::Done);
    EXPECT_DOUBLE_EQ(j.progress, 1.0);
    EXPECT_EQ(j.startedByUid, 1000u);
    EXPECT_EQ(observer.finishedCount[s.jobId], 1);

    auto p = observer.progressOf(s.jobId);
    ASSERT_GE(p.size(), 3u);
    for (size_t i = 1; i < p.size(); ++i)
        EXPECT_GE(p[i], p[i - 1]) << "progress went down at change " << i;

    auto m = engine->machine("web1");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->state, MachineState::Running);
    EXPECT_EQ(m->createdByUid, 1000u);
    auto stored = registry->machines();
    ASSERT_TRUE(stored);
    ASSERT_EQ(stored->size(), 1u);
    EXPECT_EQ(stored->front().state, MachineState::Running);
    auto audit = registry->auditEntries();
    ASSERT_TRUE(audit);
    EXPECT_GE(audit->size(), 2u);  // submitted + done
}

TEST_F(EngineTest, FinishedJobKeepsNoCredentials)
{
    auto req = engine->prepareCreate("web1", "nspawn", {{"password", core::SpecValue{std::string("pw-Secret-1"), "s"}}}, 0);
    ASSERT_TRUE(req.has_value()) << req.error().message;
    auto s = engine->submit(*req, 1000);
    ASSERT_TRUE(s.has_value()) << s.error().message;
    driver->releaseAll();
    EXPECT_EQ(observer.waitFinished(s->jobId).state, JobState::Done);
    ASSERT_NE(driver->lastSpec, nullptr);
    EXPECT_TRUE(driver->lastSpecHadPassword);  // the driver had it while it worked
    // The finished job stays listed; the password it carried does not.
    ASSERT_EQ(engine->jobs().size(), 1u);
    EXPECT_FALSE(driver->lastSpec->password.has_value());
}

TEST_F(EngineTest, NoStartLeavesMachineStopped)
{
    auto s = submitCreate("quiet", core::kFlagNoStart);
    driver->releaseAll();
    observer.waitFinished(s.jobId);
    EXPECT_EQ(engine->machine("quiet")->state, MachineState::Stopped);
}

TEST_F(EngineTest, DryRunCompletesAtOnceAndChangesNothing)
{
    auto s = submitCreate("plan-only", core::kFlagDryRun);
    auto j = engine->job(s.jobId);
    ASSERT_TRUE(j);
    EXPECT_EQ(j->state, JobState::Done);
    EXPECT_EQ(j->message, "would create plan-only");
    EXPECT_FALSE(engine->machine("plan-only"));
    EXPECT_EQ(driver->createsEntered.load(), 0);
    EXPECT_TRUE(registry->machines()->empty());
}

TEST_F(EngineTest, BadInputIsRejectedBeforeAnyJob)
{
    auto bad = engine->prepareCreate("Bad_Name", "nspawn", {}, 0);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::InvalidArgs);
    auto flags = engine->prepareCreate("ok", "nspawn", {}, 1u << 10);
    ASSERT_FALSE(flags);
    EXPECT_EQ(flags.error().code, ErrorCode::InvalidArgs);
    auto backend = engine->prepareCreate("ok", "xen", {}, 0);
    ASSERT_FALSE(backend);
    EXPECT_EQ(backend.error().code, ErrorCode::InvalidArgs);
    EXPECT_NE(backend.error().message.find("xen"), std::string::npos);
    auto pve = engine->prepareCreate("ok", "proxmox-lxc", {}, 0);
    ASSERT_FALSE(pve);
    EXPECT_EQ(pve.error().code, ErrorCode::BackendUnavailable);
    core::SpecMap spec{{"release", core::SpecValue{std::string("hamm"), "s"}}};
    auto rel = engine->prepareCreate("ok", "nspawn", spec, 0);
    ASSERT_FALSE(rel);
    EXPECT_EQ(rel.error().code, ErrorCode::InvalidArgs);
    core::SpecMap unknown{{"colour", core::SpecValue{std::string("red"), "s"}}};
    auto unk = engine->prepareCreate("ok", "nspawn", unknown, 0);
    ASSERT_FALSE(unk);
    EXPECT_NE(unk.error().message.find("colour"), std::string::npos);
    EXPECT_TRUE(engine->jobs().empty());
    EXPECT_TRUE(engine->machines().empty());
}

TEST_F(EngineTest, SecondJobOnABusyMachineIsRefused)
{
    auto s = submitCreate("busy1");
    auto again = engine->prepareSimple(core::Operation::Stop, "busy1", 0);
    ASSERT_TRUE(again);
    auto r = engine->submit(*again, 0);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::Busy);
    auto dup = engine->prepareCreate("busy1", "nspawn", {}, 0);
    ASSERT_TRUE(dup);
    auto r2 = engine->submit(*dup, 0);
    ASSERT_FALSE(r2);
    EXPECT_EQ(r2.error().code, ErrorCode::MachineExists);
    driver->releaseAll();
    observer.waitFinished(s.jobId);
}

TEST_F(EngineTest, ConcurrentJobsAreBounded)
{
    engine.reset();
    registry.reset();
    openEngine(1);
    auto s = submitCreate("first");
    auto req = engine->prepareCreate("second", "nspawn", {}, 0);
    ASSERT_TRUE(req);
    auto r = engine->submit(*req, 0);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::LimitsExceeded);
    EXPECT_FALSE(engine->machine("second"));
    driver->releaseAll();
    observer.waitFinished(s.jobId);
}

TEST_F(EngineTest, CancelledCreateLeavesNothing)
{
    auto s = submitCreate("doomed");
    while (driver->createsEntered.load() == 0)
        std::this_thread::sleep_for(1ms);
    ASSERT_TRUE(engine->cancel(s.jobId).has_value());
    auto j = observer.waitFinished(s.jobId);
    EXPECT_EQ(j.state, JobState::Cancelled);
    EXPECT_EQ(j.errorName, "Cancelled");
    EXPECT_FALSE(engine->machine("doomed"));
    EXPECT_TRUE(registry->machines()->empty());
    EXPECT_FALSE(driver->made.contains("doomed"));

    auto again = engine->cancel(s.jobId);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ErrorCode::NotCancelable);
    auto none = engine->cancel(9999);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, ErrorCode::NoSuchJob);
}

TEST_F(EngineTest, FailedCreateIsRolledBackAndNamed)
{
    driver->failCreate = true;
    auto s = submitCreate("broken");
    driver->releaseAll();
    auto j = observer.waitFinished(s.jobId);
    EXPECT_EQ(j.state, JobState::Failed);
    EXPECT_EQ(j.errorName, "BackendFailed");
    EXPECT_EQ(j.errorMessage, "scripted failure");
    EXPECT_FALSE(engine->machine("broken"));
}

TEST_F(EngineTest, DestroyRemovesTheMachineAndForceIsNeededWhenRunning)
{
    auto s = submitCreate("gone");
    driver->releaseAll();
    observer.waitFinished(s.jobId);

    const size_t jobsBefore = engine->jobs().size();
    auto plain = engine->submit(*engine->prepareSimple(core::Operation::Destroy, "gone", 0), 0);
    ASSERT_FALSE(plain);
    EXPECT_EQ(plain.error().code, ErrorCode::Busy);
    EXPECT_NE(plain.error().message.find("FORCE"), std::string::npos);
    EXPECT_EQ(engine->jobs().size(), jobsBefore);  // no job was started
    EXPECT_EQ(engine->machine("gone")->state, MachineState::Running);

    auto forced = engine->submit(*engine->prepareSimple(core::Operation::Destroy, "gone", core::kFlagForce), 0);
    ASSERT_TRUE(forced);
    EXPECT_EQ(observer.waitFinished(forced->jobId).state, JobState::Done);
    EXPECT_FALSE(engine->machine("gone"));
    EXPECT_TRUE(registry->machines()->empty());
}

TEST_F(EngineTest, RestartFailsInterruptedJobsAndRollsBackHalfMadeMachines)
{
    // A job that never finishes: simulate the daemon dying mid-create by
    // writing the rows a running create leaves behind.
    core::MachineRecord half;
    half.name = "half";
    half.backend = "nspawn";
    half.kind = "container";
    half.state = MachineState::Creating;
    ASSERT_TRUE(registry->putMachine(half));
    core::MachineRecord kept = half;
    kept.name = "kept";
    kept.state = MachineState::Running;  // but nothing runs it any more
    ASSERT_TRUE(registry->putMachine(kept));
    core::JobSnapshot j;
    j.id = 41;
    j.operation = core::Operation::Create;
    j.machine = "half";
    j.state = JobState::Running;
    j.progress = 0.4;
    ASSERT_TRUE(registry->putJob(j));

    engine.reset();
    registry.reset();
    openEngine(4);

    EXPECT_FALSE(engine->machine("half"));
    ASSERT_EQ(driver->rolledBack, std::vector<std::string>{"half"});
    auto k = engine->machine("kept");
    ASSERT_TRUE(k);
    EXPECT_EQ(k->state, MachineState::Stopped);  // its true state
    auto job = engine->job(41);
    ASSERT_TRUE(job);
    EXPECT_EQ(job->state, JobState::Failed);
    auto stored = registry->jobs();
    ASSERT_TRUE(stored);
    ASSERT_FALSE(stored->empty());
    EXPECT_EQ(stored->front().state, JobState::Failed);
    // New jobs continue the id sequence so object paths stay unique.
    auto s = submitCreate("after", core::kFlagDryRun);
    EXPECT_EQ(s.jobId, 42u);
}

TEST_F(EngineTest, RestartAfterAnInterruptedDestroyLeavesItFailedAndDestroyable)
{
    core::MachineRecord half;
    half.name = "half-gone";
    half.backend = "nspawn";
    half.kind = "container";
    half.state = MachineState::Destroying;
    ASSERT_TRUE(registry->putMachine(half));
    core::JobSnapshot j;
    j.id = 7;
    j.operation = core::Operation::Destroy;
    j.machine = "half-gone";
    j.state = JobState::Running;
    ASSERT_TRUE(registry->putJob(j));

    engine.reset();
    registry.reset();
    openEngine(4);

    auto m = engine->machine("half-gone");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->state, MachineState::Failed);  // not "stopped": its files may be half deleted
    EXPECT_EQ(registry->machines()->front().state, MachineState::Failed);
    EXPECT_EQ(engine->job(7)->state, JobState::Failed);

    auto again = engine->submit(*engine->prepareSimple(core::Operation::Destroy, "half-gone", 0), 0);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(observer.waitFinished(again->jobId).state, JobState::Done);
    EXPECT_FALSE(engine->machine("half-gone"));
}

}  // namespace
