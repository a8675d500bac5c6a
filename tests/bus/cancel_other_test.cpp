// Cancelling another uid's job needs org.zenith.provisioner.cancel-other,
// which nobody but root has here; the job's owner may cancel it, and a
// cancelled create leaves nothing behind.
#include <gtest/gtest.h>

#include "child_process.h"
#include "daemon_view.h"
#include "sandbox_env.h"

namespace zenith::bustest {
namespace {

std::string cancelAs(const TestUser& user, uint32_t id)
{
    return runAs(user, [&] {
        auto done = connectClient().cancel(id);
        return done ? std::string("cancelled") : callErrorText(done.error());
    });
}

TEST(CancelOther, OutsiderCannotCancelTheAutomationUsersJob)
{
    const std::string name = "cancel-me";
    MachineCleanup cleanup(name);

    // A create that boots the machine: long enough to still run when the
    // cancels below arrive.
    std::string submitted = runAs(automationUser(), [&] {
        auto made = connectClient().create(name, "nspawn", bookwormSpec());
        return made ? std::to_string(made->job.id()) : callErrorText(made.error());
    });
    ASSERT_TRUE(!submitted.empty() && submitted.find_first_not_of("0123456789") == std::string::npos) << submitted;
    uint32_t id = static_cast<uint32_t>(std::stoul(submitted));
    auto owner = connectClient();
    auto job = owner.job(id);

    EXPECT_EQ(cancelAs(outsiderUser(), id), kAccessDenied);
    auto status = job.status();
    ASSERT_TRUE(status.has_value()) << callErrorText(status.error());
    EXPECT_NE(status->state, "cancelled") << "the outsider's Cancel took effect";
    EXPECT_EQ(status->startedByUid, automationUser().uid);

    // The job's own user may cancel it; it must end cancelled and roll back.
    ASSERT_FALSE(status->finished()) << "the create finished before it could be cancelled; state " << status->state;
    EXPECT_EQ(cancelAs(automationUser(), id), "cancelled");
    auto result = job.wait({}, std::chrono::minutes(3));
    ASSERT_TRUE(result.has_value()) << callErrorText(result.error());
    EXPECT_EQ(result->result, "cancelled");
    EXPECT_FALSE(machineOnBus(name));
    EXPECT_FALSE(rootfsExists(name));
}

}  // namespace
}  // namespace zenith::bustest
