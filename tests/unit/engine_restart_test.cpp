// The engine across a daemon restart: a new engine and registry on the same
// files and the same fake disk, as after a crash or a SIGTERM.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "core/flags.h"
#include "engine_fixture.h"

namespace zenith::unittest {
namespace {

using core::JobState;
using core::MachineState;

std::vector<uint32_t> idsOf(const std::vector<core::JobSnapshot>& jobs)
{
    std::vector<uint32_t> ids;
    for (const auto& j : jobs)
        ids.push_back(j.id);
    std::sort(ids.begin(), ids.end());
    return ids;
}

std::vector<uint32_t> range(uint32_t first, uint32_t last)
{
    std::vector<uint32_t> ids(last - first + 1);
    std::iota(ids.begin(), ids.end(), first);
    return ids;
}

// The rows a job leaves when the daemon dies while it runs: its machine in
// `state`, the job itself running.
void putInterruptedJob(core::Registry& registry, uint32_t id, core::Operation op, const std::string& machine,
                       MachineState state)
{
    core::MachineRecord m;
    m.name = machine;
    m.backend = "nspawn";
    m.kind = "container";
    m.state = state;
    ASSERT_TRUE(registry.putMachine(m));
    core::JobSnapshot j;
    j.id = id;
    j.operation = op;
    j.machine = machine;
    j.state = JobState::Running;
    j.progress = 0.4;
    ASSERT_TRUE(registry.putJob(j));
}

TEST_F(EngineTest, RestartFailsInterruptedJobsAndRollsBackHalfMadeMachines)
{
    putInterruptedJob(*registry, 41, core::Operation::Create, "half", MachineState::Creating);
    core::MachineRecord kept;
    kept.name = "kept";
    kept.backend = "nspawn";
    kept.kind = "container";
    kept.state = MachineState::Running;  // recorded running, but nothing runs it any more
    ASSERT_TRUE(registry->putMachine(kept));
    {
        std::lock_guard lock(disk->mu);
        disk->made = {"half", "kept"};
    }

    restart();

    EXPECT_FALSE(engine->machine("half"));
    EXPECT_EQ(driver->rolledBack(), std::vector<std::string>{"half"});
    EXPECT_FALSE(driver->exists("half"));
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

TEST_F(EngineTest, RestartKeepsARunningMachineRunning)
{
    makeMachine("web");
    restart();
    ASSERT_TRUE(engine->machine("web"));
    EXPECT_EQ(engine->machine("web")->state, MachineState::Running);
}

TEST_F(EngineTest, RestartAfterAnInterruptedDestroyLeavesItFailedAndDestroyable)
{
    putInterruptedJob(*registry, 7, core::Operation::Destroy, "half-gone", MachineState::Destroying);

    restart();

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

// README: ListJobs keeps the newest 50 finished jobs, also across restarts.
// More jobs than the engine reads back at start-up, so a restart that
// listed the oldest rows, or all of them, shows here.
TEST_F(EngineTest, ListJobsKeepsTheNewestFiftyFinishedJobsAcrossRestarts)
{
    constexpr uint32_t kTotal = 260;
    for (uint32_t i = 1; i <= kTotal - 2; ++i)
        submitCreate("plan-" + std::to_string(i), core::kFlagDryRun);
    // The last ones ran for real, so not only dry runs count.
    makeMachine("real-1", core::kFlagNoStart);
    makeMachine("real-2", core::kFlagNoStart);
    EXPECT_EQ(idsOf(engine->jobs()), range(kTotal - 49, kTotal));

    restart();
    EXPECT_EQ(idsOf(engine->jobs()), range(kTotal - 49, kTotal));

    // The window moves on after the restart, and the registry keeps all.
    submitCreate("plan-after", core::kFlagDryRun);
    EXPECT_EQ(idsOf(engine->jobs()), range(kTotal - 48, kTotal + 1));
    auto stored = registry->jobs(1000);
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->size(), kTotal + 1);
}

}  // namespace
}  // namespace zenith::unittest
