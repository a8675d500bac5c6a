#include "engine_fixture.h"

#include <unistd.h>

namespace zenith::unittest {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

void RecordingObserver::jobFinished(const core::JobSnapshot& j)
{
    std::lock_guard l(mu_);
    finished_[j.id] = j;
    ++finishedCount_[j.id];
    cv_.notify_all();
}

void RecordingObserver::machineChanged(const core::MachineRecord& m)
{
    event("changed " + m.name + " " + std::string(core::toString(m.state)));
}

core::JobSnapshot RecordingObserver::waitFinished(uint32_t id)
{
    std::unique_lock l(mu_);
    // A bound for a hung job, not a speed goal.
    EXPECT_TRUE(cv_.wait_for(l, 60s, [&] { return finished_.contains(id); })) << "job " << id << " never finished";
    return finished_[id];
}

int RecordingObserver::finishedCount(uint32_t id)
{
    std::lock_guard l(mu_);
    return finishedCount_[id];
}

std::vector<double> RecordingObserver::progressOf(uint32_t id)
{
    std::vector<double> out;
    for (const auto& c : changesOf(id))
        out.push_back(c.progress);
    return out;
}

std::vector<core::JobSnapshot> RecordingObserver::changesOf(uint32_t id)
{
    std::lock_guard l(mu_);
    std::vector<core::JobSnapshot> out;
    for (const auto& c : changes_)
        if (c.id == id)
            out.push_back(c);
    return out;
}

std::vector<std::string> RecordingObserver::machineEvents()
{
    std::lock_guard l(mu_);
    return machineEvents_;
}

void RecordingObserver::record(const core::JobSnapshot& j)
{
    std::lock_guard l(mu_);
    changes_.push_back(j);
}

void RecordingObserver::event(std::string e)
{
    std::lock_guard l(mu_);
    machineEvents_.push_back(std::move(e));
}

void EngineTest::SetUp()
{
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir = fs::temp_directory_path() /
          ("zenith-engine-test-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    openEngine();
}

void EngineTest::TearDown()
{
    // Parked driver calls past their point of no return ignore the engine's
    // cancel at shutdown: let them finish.
    if (driver)
        driver->releaseAll();
    engine.reset();
    registry.reset();
    fs::remove_all(dir);
}

void EngineTest::openEngine(uint32_t maxJobs, uint32_t maxQueuedJobs)
{
    auto r = core::Registry::open((dir / "zenith.db").string());
    ASSERT_TRUE(r.has_value()) << r.error().message;
    registry = std::move(*r);
    auto d = std::make_unique<testsupport::FakeDriver>(disk);
    driver = d.get();
    if (beforeRecovery)
        beforeRecovery(*driver);
    std::vector<std::unique_ptr<drivers::Driver>> ds;
    ds.push_back(std::move(d));
    core::Config cfg;
    cfg.maxJobs = maxJobs;
    cfg.maxQueuedJobs = maxQueuedJobs;
    cfg.pools = poolConfig;
    engine = std::make_unique<core::Engine>(cfg, *registry, std::move(ds));
    engine->setObserver(&observer);
    engine->setNatApplier([this](const core::NatRules& rules) -> core::Result<void> {
        std::lock_guard lock(natMu);
        natApplied.push_back(rules);
        return {};
    });
    auto recovered = engine->recover();
    ASSERT_TRUE(recovered.has_value()) << recovered.error().message;
    // A bound for a hung recovery, not a speed goal.
    if (waitForRecovery) {
        ASSERT_TRUE(engine->waitRecovered(std::chrono::seconds(60)));
    }
}

void EngineTest::restart(uint32_t maxJobs, uint32_t maxQueuedJobs)
{
    driver->releaseAll();
    engine.reset();
    driver = nullptr;
    registry.reset();
    openEngine(maxJobs, maxQueuedJobs);
}

core::Submitted EngineTest::submitCreate(const std::string& name, uint64_t flags, uint32_t uid)
{
    auto req = engine->prepareCreate(name, "nspawn", {}, flags);
    EXPECT_TRUE(req.has_value()) << req.error().message;
    if (!req)
        return {};
    auto s = engine->submit(*req, uid);
    EXPECT_TRUE(s.has_value()) << s.error().message;
    return s ? *s : core::Submitted{};
}

core::Submitted EngineTest::submitSimple(std::string_view op, const std::string& name, uint64_t flags)
{
    auto req = engine->prepareSimple(op, name, flags);
    EXPECT_TRUE(req.has_value()) << req.error().message;
    if (!req)
        return {};
    auto s = engine->submit(*req, 1000);
    EXPECT_TRUE(s.has_value()) << s.error().message;
    return s ? *s : core::Submitted{};
}

void EngineTest::makeMachine(const std::string& name, uint64_t flags)
{
    auto s = submitCreate(name, flags);
    ASSERT_EQ(observer.waitFinished(s.jobId).state, core::JobState::Done);
}

}  // namespace zenith::unittest
