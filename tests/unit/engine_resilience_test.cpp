// No job can take the daemon down: whatever a driver throws ends its job as
// failed while the others go on, and a job stuck in I/O (it ignores its
// cancel) still lets Cancel, other jobs and a bounded shutdown proceed.
#include <gtest/gtest.h>

#include <new>
#include <stdexcept>

#include "engine_fixture.h"

namespace zenith::unittest {
namespace {

using core::JobState;
using testsupport::FakeOp;
using namespace std::chrono_literals;

TEST_F(EngineTest, ADriverThatThrowsFailsOnlyItsJob)
{
    driver->throwWith(FakeOp::Create, [] { throw std::logic_error("a driver bug"); });
    auto bug = submitCreate("web1");
    auto j = observer.waitFinished(bug.jobId);
    EXPECT_EQ(j.state, JobState::Failed);
    EXPECT_EQ(j.errorName, "BackendFailed");
    EXPECT_NE(j.errorMessage.find("internal error in the nspawn backend: a driver bug"), std::string::npos)
        << j.errorMessage;
    EXPECT_FALSE(engine->machine("web1")) << "a failed create leaves no machine";
    EXPECT_EQ(driver->rolledBack(), std::vector<std::string>{"web1"}) << "what the throwing create made is rolled back";

    driver->throwWith(FakeOp::Create, [] { throw std::bad_alloc(); });
    auto oom = submitCreate("web2");
    auto k = observer.waitFinished(oom.jobId);
    EXPECT_EQ(k.state, JobState::Failed);
    EXPECT_NE(k.errorMessage.find("out of memory"), std::string::npos) << k.errorMessage;

    driver->throwWith(FakeOp::Create, [] { throw 42; });
    EXPECT_EQ(observer.waitFinished(submitCreate("web3").jobId).state, JobState::Failed);

    // The engine goes on: slots and locks were given back.
    driver->throwWith(FakeOp::Create, nullptr);
    EXPECT_EQ(observer.waitFinished(submitCreate("web1").jobId).state, JobState::Done);
    auto stored = registry->jobs();
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->size(), 4u);
}

TEST_F(EngineTest, AStuckJobLetsCancelOtherJobsAndABoundedShutdownThrough)
{
    makeMachine("web2");
    driver->stick(FakeOp::Create);
    auto stuck = submitCreate("web1");
    ASSERT_TRUE(driver->waitReachedHold(FakeOp::Create, 2));  // web2's create was the first

    // Cancel answers (the job cannot hear it, but the caller is not held).
    ASSERT_TRUE(engine->cancel(stuck.jobId));
    EXPECT_EQ(engine->job(stuck.jobId)->state, JobState::Running);
    // Other jobs run meanwhile.
    EXPECT_EQ(observer.waitFinished(submitSimple("start", "web2").jobId).state, JobState::Done);

    // Shutdown waits its time, then leaves the stuck job recorded as failed.
    auto left = engine->shutdown(300ms);
    EXPECT_EQ(left, std::vector<uint32_t>{stuck.jobId});
    auto recorded = [&] {
        // Held in a local: a range-for over value() of the temporary
        // expected would read a destroyed vector.
        const auto jobs = registry->jobs().value();
        for (const auto& j : jobs)
            if (j.id == stuck.jobId)
                return j;
        return core::JobSnapshot{};
    };
    EXPECT_EQ(recorded().state, JobState::Failed);
    EXPECT_NE(recorded().errorMessage.find("stuck"), std::string::npos) << recorded().errorMessage;
    auto audit = registry->auditEntries().value();
    EXPECT_EQ(audit.back().job, stuck.jobId);
    EXPECT_EQ(audit.back().outcome, "failed");

    // Should the thread ever come back, its result does not overwrite that.
    driver->release(FakeOp::Create);
    engine.reset();  // joins the worker
    driver = nullptr;  // the engine owned it
    EXPECT_EQ(recorded().state, JobState::Failed);
    EXPECT_NE(recorded().errorMessage.find("stuck"), std::string::npos);
}

TEST_F(EngineTest, ShutdownCancelsJobsThatListenAndWaitsForTheirRollback)
{
    driver->hold(FakeOp::Create);
    auto s = submitCreate("web1");
    ASSERT_TRUE(driver->waitReachedHold(FakeOp::Create));
    EXPECT_TRUE(engine->shutdown(30s).empty());
    EXPECT_EQ(engine->job(s.jobId)->state, JobState::Cancelled);
    EXPECT_FALSE(driver->exists("web1")) << "the cancelled create was not rolled back";
}

}  // namespace
}  // namespace zenith::unittest
