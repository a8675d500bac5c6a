// The engine across a daemon restart: a new engine and registry on the same
// files and the same fake disk, as after a crash or a SIGTERM.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "core/flags.h"
#include "engine_fixture.h"

namespace zenith::unittest {
namespace {

using core::ErrorCode;
using core::JobState;
using core::MachineState;
using testsupport::FakeOp;

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
void putInterruptedJob(core::Registry& registry, uint32_t id, std::string_view op, const std::string& machine,
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
    putInterruptedJob(*registry, 41, "create", "half", MachineState::Creating);
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
    // New jobs continue the id sequence so object paths stay unique: 42
    // is the restart's `recover` job, which rolled "half" back.
    auto recover = engine->job(42);
    ASSERT_TRUE(recover);
    EXPECT_EQ(recover->operation, "recover");
    EXPECT_EQ(recover->state, JobState::Done);
    EXPECT_NE(recover->message.find("rolled back 1 half-made"), std::string::npos) << recover->message;
    auto s = submitCreate("after", core::kFlagDryRun);
    EXPECT_EQ(s.jobId, 43u);
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
    putInterruptedJob(*registry, 7, "destroy", "half-gone", MachineState::Destroying);

    restart();

    auto m = engine->machine("half-gone");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->state, MachineState::Failed);  // not "stopped": its files may be half deleted
    EXPECT_EQ(registry->machines()->front().state, MachineState::Failed);
    EXPECT_EQ(engine->job(7)->state, JobState::Failed);

    auto again = engine->submit(*engine->prepareSimple("destroy", "half-gone", 0), 0);
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

    // The restart's own `recover` job (it checks real-1 and real-2) is the
    // newest then.
    restart();
    auto afterRestart = engine->jobs();
    EXPECT_EQ(idsOf(afterRestart), range(kTotal - 48, kTotal + 1));
    EXPECT_EQ(afterRestart.back().operation, "recover");

    // The window moves on after the restart, and the registry keeps all.
    submitCreate("plan-after", core::kFlagDryRun);
    EXPECT_EQ(idsOf(engine->jobs()), range(kTotal - 47, kTotal + 2));
    auto stored = registry->jobs(1000);
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->size(), kTotal + 2);
}

// A driver checkpoints what it learns (a remote guest's vmid and node) as it
// goes: written with the machine before the driver goes on, so that a daemon
// that dies mid-create leaves the facts to roll the guest back with.
TEST_F(EngineTest, CheckpointsArePersistedAtOnceAndHandedToRecoveryRollback)
{
    driver->createCheckpoints = {{"vmid", "9101"}, {"node", "pve2"}, {"Bad-Key", "x"},
                                 {"upid", std::string(300, 'u')}, {"vmid", "9102"}};
    driver->hold(FakeOp::Create);
    auto s = submitCreate("cp1");
    ASSERT_TRUE(driver->waitReachedHold(FakeOp::Create));
    auto stored = registry->machines();
    ASSERT_TRUE(stored);
    ASSERT_EQ(stored->size(), 1u);
    // Latest value per key; a malformed key and an oversized value dropped.
    EXPECT_EQ(stored->front().checkpoints,
              (std::map<std::string, std::string>{{"node", "pve2"}, {"vmid", "9102"}}));
    driver->release(FakeOp::Create);
    EXPECT_EQ(observer.waitFinished(s.jobId).state, JobState::Done);

    // The same facts after a crash: recovery hands them to the driver.
    putInterruptedJob(*registry, 99, "clone", "cp2", MachineState::Creating);
    core::MachineRecord half;
    half.name = "cp2";
    half.backend = "nspawn";
    half.kind = "container";
    half.state = MachineState::Creating;
    half.checkpoints = {{"vmid", "9107"}, {"node", "pve3"}};
    ASSERT_TRUE(registry->putMachine(half));
    restart();
    auto rolled = driver->rolledBackRecords();
    ASSERT_EQ(rolled.size(), 1u);
    EXPECT_EQ(rolled.front().name, "cp2");
    EXPECT_EQ(rolled.front().checkpoints, half.checkpoints);
    EXPECT_FALSE(engine->machine("cp2"));
}

// Start-up recovery runs as the `recover` job, off the caller's thread and in
// parallel: the machines are listed at once with their recorded state, each
// is Busy until it is checked, and the job reports its progress.
TEST_F(EngineTest, RecoveryChecksMachinesInParallelAsAJobWhileTheEngineAnswers)
{
    makeMachine("r1");
    makeMachine("r2", core::kFlagNoStart);
    makeMachine("r3");
    {
        std::lock_guard lock(disk->mu);
        disk->running.erase("r3");  // it stopped while the daemon was down
    }
    beforeRecovery = [](testsupport::FakeDriver& d) { d.hold(FakeOp::Probe); };
    waitForRecovery = false;
    restart();

    // Listed at once, as recorded; checked on other threads, side by side.
    EXPECT_EQ(engine->machines().size(), 3u);
    EXPECT_EQ(engine->machine("r3")->state, MachineState::Running);
    ASSERT_TRUE(driver->waitReachedHold(FakeOp::Probe, 3));
    core::JobSnapshot recover;
    for (const auto& j : engine->jobs())
        if (j.operation == "recover")
            recover = j;
    ASSERT_NE(recover.id, 0u);
    EXPECT_EQ(recover.state, JobState::Running);
    EXPECT_EQ(recover.startedByUid, 0u);
    EXPECT_FALSE(recover.cancelable);
    auto cancel = engine->cancel(recover.id);
    ASSERT_FALSE(cancel);
    EXPECT_EQ(cancel.error().code, ErrorCode::NotCancelable);
    // No job acts on a machine before it is checked.
    auto stop = engine->prepareSimple("stop", "r1", 0);
    ASSERT_TRUE(stop);
    auto busy = engine->submit(*stop, 1000);
    ASSERT_FALSE(busy);
    EXPECT_EQ(busy.error().code, ErrorCode::Busy);
    // Other requests are answered meanwhile.
    auto dry = submitCreate("r4", core::kFlagDryRun);
    EXPECT_EQ(engine->job(dry.jobId)->state, JobState::Done);

    driver->release(FakeOp::Probe);
    ASSERT_TRUE(engine->waitRecovered(std::chrono::seconds(60)));
    auto done = observer.waitFinished(recover.id);
    EXPECT_EQ(done.state, JobState::Done);
    EXPECT_DOUBLE_EQ(done.progress, 1.0);
    EXPECT_NE(done.message.find("checked 3 machines"), std::string::npos) << done.message;
    EXPECT_EQ(engine->machine("r3")->state, MachineState::Stopped);  // its true state
    EXPECT_EQ(observer.waitFinished(submitSimple("stop", "r1").jobId).state, JobState::Done);
}

// Each made machine gets the next number (its nspawn host link is named
// after it); a dry run takes none, and a destroyed machine's number is not
// given again, across a restart too.
TEST_F(EngineTest, MachineNumbersAreStableAndNeverReused)
{
    auto req = engine->prepareCreate("a", "nspawn", {{"bridge", core::SpecValue{std::string("br0"), "s"}}},
                                     core::kFlagNoStart);
    ASSERT_TRUE(req) << req.error().message;
    auto s = engine->submit(*req, 1000);
    ASSERT_TRUE(s) << s.error().message;
    ASSERT_EQ(observer.waitFinished(s->jobId).state, JobState::Done);
    submitCreate("plan-only", core::kFlagDryRun);
    makeMachine("b", core::kFlagNoStart);
    EXPECT_EQ(engine->machine("a")->number, 1u);
    EXPECT_EQ(engine->machine("a")->bridge, "br0");
    EXPECT_EQ(engine->machine("a")->hostLink, "vi1");
    EXPECT_EQ(engine->machine("b")->number, 2u);
    EXPECT_EQ(engine->machine("b")->hostLink, "");
    ASSERT_EQ(observer.waitFinished(submitSimple("destroy", "b").jobId).state, JobState::Done);

    restart();
    makeMachine("c", core::kFlagNoStart);
    EXPECT_EQ(engine->machine("a")->number, 1u);
    EXPECT_EQ(engine->machine("a")->hostLink, "vi1");
    EXPECT_EQ(engine->machine("c")->number, 3u);
}

}  // namespace
}  // namespace zenith::unittest
