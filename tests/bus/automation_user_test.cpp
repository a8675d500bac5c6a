// The shipped rule 50-zenith-automation.rules: a member of zenith-automation
// may create and destroy machines without a password or a session, and gets
// nothing beyond the actions the rule lists.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "child_process.h"
#include "daemon_view.h"
#include "sandbox_env.h"

namespace zenith::bustest {
namespace {

TEST(AutomationUser, CreatesAndDestroysWithLibclient)
{
    const std::string name = "auto-lib";
    MachineCleanup cleanup(name);

    std::string created = runAs(automationUser(), [&] {
        auto c = connectClient();
        auto made = c.create(name, "nspawn", bookwormSpec(), client::kFlagNoStart);
        if (!made) {
            return callErrorText(made.error());
        }
        return outcomeText(made->job.wait({}, std::chrono::minutes(10)));
    });
    ASSERT_EQ(created, "done");

    auto info = machineInfo(name);
    ASSERT_TRUE(info.has_value()) << "no machine object after a successful create";
    EXPECT_EQ(info->createdByUid, automationUser().uid);
    EXPECT_EQ(info->state, "stopped");
    EXPECT_EQ(info->release, "bookworm");
    EXPECT_TRUE(rootfsExists(name));

    std::string destroyed = runAs(automationUser(), [&] {
        auto c = connectClient();
        auto job = c.destroy(name);
        if (!job) {
            return callErrorText(job.error());
        }
        return outcomeText(job->wait({}, std::chrono::minutes(5)));
    });
    ASSERT_EQ(destroyed, "done");
    EXPECT_FALSE(machineOnBus(name));
    EXPECT_FALSE(rootfsExists(name));
}

TEST(AutomationUser, JobRecordsTheCallersUid)
{
    std::string startedBy = runAs(automationUser(), [] {
        auto c = connectClient();
        auto made = c.create("auto-dry", "nspawn", bookwormSpec(), client::kFlagDryRun);
        if (!made) {
            return callErrorText(made.error());
        }
        auto status = made->job.status();
        if (!status) {
            return callErrorText(status.error());
        }
        return std::to_string(status->startedByUid);
    });
    EXPECT_EQ(startedBy, std::to_string(automationUser().uid));
}

// The rule grants create, clone, destroy, power and read - not template.
TEST(AutomationUser, MayNotMakeTemplates)
{
    const std::string name = "auto-no-template";
    MachineCleanup cleanup(name);
    ASSERT_EQ(createStoppedAsRoot(name), "done");
    auto jobsBefore = jobIds();

    std::string answer = runAs(automationUser(), [&] {
        auto job = connectClient().makeTemplate(name);
        return job ? std::string("accepted") : callErrorText(job.error());
    });

    EXPECT_EQ(answer, kAccessDenied);
    EXPECT_EQ(jobIds(), jobsBefore);
    auto info = machineInfo(name);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->state, "stopped");
}

}  // namespace
}  // namespace zenith::bustest
