// Cancelling another uid's job needs org.zenith.provisioner.cancel-other,
// which nobody but root has here. The job is one that is running while the
// outsider tries - a start whose boot never finishes - so a refusal that
// only held because the job was over could not pass: both ways to cancel
// (Manager.CancelJob, Job.Cancel) are AccessDenied and leave it running,
// and then its owner cancels it.
#include <gtest/gtest.h>

#include <sdbus-c++/sdbus-c++.h>

#include "child_process.h"
#include "daemon_view.h"
#include "hanging_boot.h"
#include "sandbox_env.h"

namespace zenith::bustest {
namespace {

// Manager.CancelJob(id) as `user`: "cancelled" or the error name.
std::string cancelJobAs(const TestUser& user, uint32_t id)
{
    return runAs(user, [&] {
        auto done = connectClient().cancel(id);
        return done ? std::string("cancelled") : callErrorText(done.error());
    });
}

// Job.Cancel() on the job object as `user`.
std::string jobCancelAs(const TestUser& user, const std::string& jobPath)
{
    return runAs(user, [&] {
        auto connection = sdbus::createSystemBusConnection();
        try {
            sdbus::createProxy(*connection, "org.zenith.Provisioner", jobPath)
                ->callMethod("Cancel")
                .onInterface("org.zenith.Provisioner.Job");
            return std::string("cancelled");
        } catch (const sdbus::Error& e) {
            return e.getName();
        }
    });
}

TEST(CancelOther, OutsiderCannotCancelARunningJobOfAnotherUser)
{
    const std::string name = "cancel-me";
    MachineCleanup cleanup(name);
    ASSERT_EQ(createWithHangingBoot(name), "done");

    std::string submitted = runAs(automationUser(), [&] {
        auto job = connectClient().start(name);
        return job ? std::to_string(job->id()) : callErrorText(job.error());
    });
    ASSERT_TRUE(!submitted.empty() && submitted.find_first_not_of("0123456789") == std::string::npos) << submitted;
    const uint32_t id = static_cast<uint32_t>(std::stoul(submitted));
    auto before = waitForRunningStep(id, "start");
    ASSERT_EQ(before.state, "running");
    ASSERT_TRUE(before.cancelable);
    EXPECT_EQ(before.startedByUid, automationUser().uid);

    EXPECT_EQ(cancelJobAs(outsiderUser(), id), kAccessDenied);
    EXPECT_EQ(jobCancelAs(outsiderUser(), before.path), kAccessDenied);

    // Untouched: still running in the same step, never told to cancel.
    auto job = connectClient().job(id);
    auto after = job.status();
    ASSERT_TRUE(after.has_value()) << callErrorText(after.error());
    EXPECT_EQ(after->state, "running");
    EXPECT_EQ(after->step, "start");
    EXPECT_TRUE(after->cancelable);
    EXPECT_EQ(after->message, before.message) << "the outsider's cancel reached the job";
    EXPECT_EQ(machineState(name), "starting");

    // The job's own user may cancel it; the start is undone.
    EXPECT_EQ(cancelJobAs(automationUser(), id), "cancelled");
    auto result = job.wait({}, std::chrono::minutes(3));
    ASSERT_TRUE(result.has_value()) << callErrorText(result.error());
    EXPECT_EQ(result->result, "cancelled");
    EXPECT_EQ(result->errorName, "org.zenith.Provisioner.Error.Cancelled");
    EXPECT_EQ(machineState(name), "stopped");
    EXPECT_TRUE(rootfsExists(name)) << "a cancelled start removed the machine";
}

}  // namespace
}  // namespace zenith::bustest
