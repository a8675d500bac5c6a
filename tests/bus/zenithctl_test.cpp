// zenithctl as a hosting panel runs it over SSH: as the automation user,
// non-interactive, --json. Run through setpriv like such a login would be,
// with its exit codes as the contract for denied and bad input.
#include <gtest/gtest.h>

#include <algorithm>

#include "daemon_view.h"
#include "zenithctl_run.h"

namespace zenith::bustest {
namespace {

TEST(Zenithctl, AutomationUserCreatesAndDestroys)
{
    const std::string name = "auto-cli";
    MachineCleanup cleanup(name);

    auto created = zenithctlAs(automationUser(), {"create", name, "--release", "bookworm", "--no-start", "--json",
                                                  "--no-ask-password"});
    ASSERT_EQ(created.exitCode, 0) << created.out << created.err;
    auto result = lastJson(created.out);
    EXPECT_EQ(result["event"], "result");
    EXPECT_EQ(result["result"], "done");
    auto info = machineInfo(name);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->createdByUid, automationUser().uid);
    EXPECT_TRUE(rootfsExists(name));

    auto destroyed = zenithctlAs(automationUser(), {"destroy", name, "--json", "--no-ask-password"});
    ASSERT_EQ(destroyed.exitCode, 0) << destroyed.out << destroyed.err;
    EXPECT_EQ(lastJson(destroyed.out)["result"], "done");
    EXPECT_FALSE(machineOnBus(name));
    EXPECT_FALSE(rootfsExists(name));
}

TEST(Zenithctl, OutsiderIsDeniedWithItsExitCode)
{
    const std::string name = "outsider-cli";
    MachineCleanup cleanup(name);
    auto jobsBefore = jobIds();

    auto r = zenithctlAs(outsiderUser(), {"create", name, "--no-start", "--json", "--no-ask-password"});

    EXPECT_EQ(r.exitCode, 3) << r.out << r.err;  // 3: denied
    auto error = lastJson(r.out);
    EXPECT_EQ(error["event"], "error");
    EXPECT_EQ(error["error_name"], kAccessDenied);
    EXPECT_EQ(jobIds(), jobsBefore);
    EXPECT_FALSE(machineOnBus(name));
    EXPECT_FALSE(rootfsExists(name));
}

TEST(Zenithctl, BadInputIsExitCodeTwoAndNamesTheKey)
{
    auto jobsBefore = jobIds();
    auto r = zenithctlAs(automationUser(), {"create", "cli-bad-mem", "--memory", "1K", "--no-start", "--json"});
    EXPECT_EQ(r.exitCode, 2) << r.out << r.err;
    EXPECT_NE((r.out + r.err).find("memory_max"), std::string::npos) << r.out << r.err;
    EXPECT_EQ(jobIds(), jobsBefore);
    EXPECT_FALSE(machineOnBus("cli-bad-mem"));
}

TEST(Zenithctl, NoWaitReturnsTheJobWhichThenFinishes)
{
    const std::string name = "nowait-cli";
    MachineCleanup cleanup(name);

    auto r = zenithctlAs(automationUser(), {"--json", "--no-wait", "--no-ask-password", "create", name, "--no-start"});
    ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
    // Exactly one line: what was submitted, no progress and no result.
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
    auto submitted = lastJson(r.out);
    EXPECT_EQ(submitted["event"], "submitted");
    EXPECT_EQ(submitted["operation"], "create");
    EXPECT_EQ(submitted["machine"], name);
    ASSERT_TRUE(submitted["job"].is_number_unsigned()) << r.out;
    const uint32_t id = submitted["job"];
    EXPECT_EQ(submitted["path"], "/org/zenith/Provisioner/job/" + std::to_string(id));

    // The job goes on without the client that started it.
    auto done = connectClient().job(id).wait({}, std::chrono::minutes(5));
    ASSERT_TRUE(done.has_value()) << callErrorText(done.error());
    EXPECT_EQ(done->result, "done");
    EXPECT_EQ(machineState(name), "stopped");
}

}  // namespace
}  // namespace zenith::bustest
