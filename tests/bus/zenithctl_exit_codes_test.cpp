// zenithctl's exit codes 1, 4, 5 and 6 through the real daemon (0, 2, 3 and
// 7: zenithctl_test.cpp, remote_host_test.cpp): what a panel branches on.
// Each case is one the daemon itself produced, not a refusal zenithctl
// made up before it called.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "child_process.h"
#include "daemon_view.h"
#include "hanging_boot.h"
#include "zenithctl_run.h"

namespace zenith::bustest {
namespace {

using nlohmann::json;

TEST(ZenithctlExitCodes, AJobThatRanAndFailedIsOne)
{
    // The daemon accepts the create (the template's name is valid) and the
    // job fails when the driver looks for the template.
    const std::string name = "cli-failed";
    MachineCleanup cleanup(name);
    auto r = zenithctlAs(automationUser(), {"--json", "--no-ask-password", "create", name, "--template",
                                            "no-such-template", "--no-start"});
    EXPECT_EQ(r.exitCode, 1) << r.out << r.err;
    ASSERT_EQ(jsonEvents(r.out, "submitted").size(), 1u) << "no job was made: " << r.out;
    auto result = lastJson(r.out);
    EXPECT_EQ(result["event"], "result") << r.out;
    EXPECT_EQ(result["result"], "failed");
    EXPECT_EQ(result["error_name"], "org.zenith.Provisioner.Error.NoSuchImage");
    EXPECT_EQ(result["exit_code"], 1);
    EXPECT_FALSE(machineOnBus(name));
}

TEST(ZenithctlExitCodes, NoSuchMachineAndNoSuchJobAreFour)
{
    auto start = zenithctlAs(automationUser(), {"--json", "--no-ask-password", "start", "no-such-machine"});
    EXPECT_EQ(start.exitCode, 4) << start.out << start.err;
    EXPECT_EQ(lastJson(start.out)["error_name"], "org.zenith.Provisioner.Error.NoSuchMachine") << start.out;

    auto cancel = zenithctlAs(automationUser(), {"--json", "cancel", "4000000000"});
    EXPECT_EQ(cancel.exitCode, 4) << cancel.out << cancel.err;
    EXPECT_EQ(lastJson(cancel.out)["error_name"], "org.zenith.Provisioner.Error.NoSuchJob") << cancel.out;
}

TEST(ZenithctlExitCodes, AnExistingMachineIsSix)
{
    const std::string name = "cli-exists";
    MachineCleanup cleanup(name);
    ASSERT_EQ(createStoppedAsRoot(name), "done");
    auto jobsBefore = jobIds();
    auto r = zenithctlAs(automationUser(), {"--json", "--no-ask-password", "create", name, "--no-start"});
    EXPECT_EQ(r.exitCode, 6) << r.out << r.err;
    EXPECT_EQ(lastJson(r.out)["error_name"], "org.zenith.Provisioner.Error.MachineExists") << r.out;
    EXPECT_EQ(jobIds(), jobsBefore);
}

// A start that stays running (its boot never finishes): a second job on the
// machine meanwhile is Busy (6); the waiting zenithctl, whose job is then
// cancelled, exits 5.
TEST(ZenithctlExitCodes, BusyIsSixAndACancelledJobIsFive)
{
    const std::string name = "cli-hang";
    MachineCleanup cleanup(name);
    ASSERT_EQ(createWithHangingBoot(name), "done");

    BackgroundProgram waiting(zenithctlArgv(automationUser(), {"--json", "--no-ask-password", "start", name}),
                              rootUser());
    auto first = waiting.readLine(std::chrono::seconds(60));
    ASSERT_TRUE(first.has_value()) << waiting.stderrText();
    auto submitted = json::parse(*first, nullptr, false);
    ASSERT_EQ(submitted.value("event", ""), "submitted") << *first;
    const uint32_t id = submitted["job"];
    waitForRunningStep(id, "start");

    auto busy = zenithctlAs(automationUser(), {"--json", "--no-ask-password", "stop", name});
    EXPECT_EQ(busy.exitCode, 6) << busy.out << busy.err;
    EXPECT_EQ(lastJson(busy.out)["error_name"], "org.zenith.Provisioner.Error.Busy") << busy.out;

    auto cancel = zenithctlAs(automationUser(), {"--json", "cancel", std::to_string(id)});
    EXPECT_EQ(cancel.exitCode, 0) << cancel.out << cancel.err;

    std::string last = *first;
    while (auto line = waiting.readLine(std::chrono::minutes(3)))
        last = *line;
    EXPECT_EQ(waiting.wait(std::chrono::seconds(30)), 5) << last << waiting.stderrText();
    auto result = json::parse(last, nullptr, false);
    EXPECT_EQ(result.value("event", ""), "result") << last;
    EXPECT_EQ(result.value("result", ""), "cancelled") << last;
    EXPECT_EQ(machineState(name), "stopped");
}

}  // namespace
}  // namespace zenith::bustest
