// tests/harness/40-zenith-test.rules lets the outsider power exactly the
// machine named outsider-box, and only start outsider-starter. That only
// works if the daemon passes the `machine` and `verb` details to polkit and
// takes polkit's answer for them.
#include <gtest/gtest.h>

#include "child_process.h"
#include "daemon_view.h"
#include "sandbox_env.h"

namespace zenith::bustest {
namespace {

std::string powerAsOutsider(const std::string& name, bool start)
{
    return runAs(outsiderUser(), [&] {
        auto c = connectClient();
        auto job = start ? c.start(name) : c.stop(name);
        if (!job) {
            return callErrorText(job.error());
        }
        return outcomeText(job->wait({}, std::chrono::minutes(3)));
    });
}

TEST(MachineDetailRule, OutsiderMayPowerOnlyTheNamedMachine)
{
    MachineCleanup cleanupAllowed("outsider-box");
    MachineCleanup cleanupOther("other-box");
    ASSERT_EQ(createStoppedAsRoot("outsider-box"), "done");
    ASSERT_EQ(createStoppedAsRoot("other-box"), "done");

    auto jobsBefore = jobIds();
    EXPECT_EQ(powerAsOutsider("other-box", true), kAccessDenied);
    EXPECT_EQ(jobIds(), jobsBefore);
    EXPECT_EQ(machineState("other-box"), "stopped");

    ASSERT_EQ(powerAsOutsider("outsider-box", true), "done");
    EXPECT_EQ(machineState("outsider-box"), "running");

    ASSERT_EQ(powerAsOutsider("outsider-box", false), "done");
    EXPECT_EQ(machineState("outsider-box"), "stopped");
}

TEST(VerbDetailRule, OutsiderMayStartButNotStopTheMachine)
{
    // 40-zenith-test.rules: power on outsider-starter with verb=start only.
    const std::string name = "outsider-starter";
    MachineCleanup cleanup(name);
    ASSERT_EQ(createStoppedAsRoot(name), "done");

    ASSERT_EQ(powerAsOutsider(name, true), "done");
    EXPECT_EQ(machineState(name), "running");

    auto jobsBefore = jobIds();
    EXPECT_EQ(powerAsOutsider(name, false), kAccessDenied);
    EXPECT_EQ(jobIds(), jobsBefore);
    EXPECT_EQ(machineState(name), "running");
}

std::string dryCreateAsOutsider(const std::string& name, const std::string& backend)
{
    return runAs(outsiderUser(), [&] {
        auto made = connectClient().create(name, backend, bookwormSpec(), client::kFlagDryRun);
        if (!made) {
            return callErrorText(made.error());
        }
        return outcomeText(made->job.wait({}, std::chrono::seconds(30)));
    });
}

TEST(VerbAndBackendDetailRule, ARuleOnEveryDetailIsHonoured)
{
    // The rule wants verb=create, backend=nspawn and machine outsider-dry-*:
    // the yes proves all three details arrive (a missing one is undefined
    // in the rule, and the answer would be no), the no that the machine
    // detail still decides. (Only nspawn is configured here; another
    // backend is refused as BackendUnavailable before polkit is asked.)
    EXPECT_EQ(dryCreateAsOutsider("outsider-dry-1", "nspawn"), "done");
    EXPECT_EQ(dryCreateAsOutsider("other-dry-1", "nspawn"), kAccessDenied);
    EXPECT_FALSE(machineOnBus("outsider-dry-1"));
    EXPECT_FALSE(rootfsExists("outsider-dry-1"));
}

}  // namespace
}  // namespace zenith::bustest
