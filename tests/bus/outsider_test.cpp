// A user polkit grants nothing: every change is AccessDenied and nothing
// happens - no machine object, no root file system, no job. The denial comes
// from the daemon's polkit check, not from the bus policy (which lets every
// call through so that polkit can decide).
#include <gtest/gtest.h>

#include "child_process.h"
#include "daemon_view.h"
#include "sandbox_env.h"

namespace zenith::bustest {
namespace {

// dbus-daemon's own refusals read "Rejected send message, ...".
bool deniedByBusPolicy(const std::string& message)
{
    return message.find("Rejected send message") != std::string::npos;
}

TEST(Outsider, CreateIsDeniedAndNothingHappens)
{
    const std::string name = "outsider-new";
    MachineCleanup cleanup(name);
    auto jobsBefore = jobIds();

    std::string answer = runAs(outsiderUser(), [&] {
        auto made = connectClient().create(name, "nspawn", bookwormSpec(), client::kFlagNoStart);
        if (made) {
            return std::string("accepted");
        }
        return made.error().name + "|" + made.error().message;
    });

    EXPECT_EQ(answer.substr(0, answer.find('|')), kAccessDenied) << answer;
    EXPECT_FALSE(deniedByBusPolicy(answer)) << "the bus policy refused the call before polkit was asked: " << answer;
    EXPECT_EQ(jobIds(), jobsBefore);
    EXPECT_FALSE(machineOnBus(name));
    EXPECT_FALSE(rootfsExists(name));
}

TEST(Outsider, DryRunIsDeniedToo)
{
    auto jobsBefore = jobIds();
    std::string answer = runAs(outsiderUser(), [] {
        auto made = connectClient().create("outsider-dry", "nspawn", bookwormSpec(), client::kFlagDryRun);
        return made ? std::string("accepted") : callErrorText(made.error());
    });
    EXPECT_EQ(answer, kAccessDenied);
    EXPECT_EQ(jobIds(), jobsBefore);
}

TEST(Outsider, CannotDestroyOrStopSomeoneElsesMachine)
{
    const std::string name = "outsider-victim";
    MachineCleanup cleanup(name);
    ASSERT_EQ(createStoppedAsRoot(name), "done");
    auto jobsBefore = jobIds();

    std::string answers = runAs(outsiderUser(), [&] {
        auto c = connectClient();
        auto destroy = c.destroy(name, client::kFlagForce);
        auto start = c.start(name);
        return (destroy ? std::string("accepted") : callErrorText(destroy.error())) + " " +
               (start ? std::string("accepted") : callErrorText(start.error()));
    });

    EXPECT_EQ(answers, std::string(kAccessDenied) + " " + kAccessDenied);
    EXPECT_EQ(jobIds(), jobsBefore);
    auto info = machineInfo(name);
    ASSERT_TRUE(info.has_value()) << "the machine vanished";
    EXPECT_EQ(info->state, "stopped");
    EXPECT_TRUE(rootfsExists(name));
}

// Reading is allowed to everyone (org.zenith.provisioner.read: yes).
TEST(Outsider, MayRead)
{
    const std::string name = "outsider-visible";
    MachineCleanup cleanup(name);
    ASSERT_EQ(createStoppedAsRoot(name), "done");

    std::string seen = runAs(outsiderUser(), [&] {
        auto c = connectClient();
        auto rows = c.machines();
        if (!rows) {
            return callErrorText(rows.error());
        }
        for (const auto& r : *rows) {
            if (r.name == name) {
                return r.state;
            }
        }
        return std::string("not listed");
    });
    EXPECT_EQ(seen, "stopped");
}

}  // namespace
}  // namespace zenith::bustest
