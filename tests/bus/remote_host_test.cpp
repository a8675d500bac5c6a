// zenithctl --host USER@HOST: a panel reaching a provisioning host's bus from
// its own machine, through SSH and systemd-stdio-bridge (like busctl --host).
// A private sshd on 127.0.0.1 stands in for the remote host; the client's own
// DBUS_SYSTEM_BUS_ADDRESS points nowhere, so only the SSH route can work.
#include <gtest/gtest.h>

#include <memory>

#include "daemon_view.h"
#include "private_sshd.h"
#include "zenithctl_run.h"

namespace zenith::bustest {
namespace {

// One sshd for the suite; a failure to start it fails every test here.
struct SshdHolder {
    std::unique_ptr<PrivateSshd> sshd;
    std::string error;
};

SshdHolder& sshd()
{
    static SshdHolder holder = [] {
        SshdHolder h;
        try {
            h.sshd = std::make_unique<PrivateSshd>();
        } catch (const std::exception& e) {
            h.error = e.what();
        }
        return h;
    }();
    return holder;
}

ProgramResult zenithctlOverSsh(const TestUser& user, std::vector<std::string> args)
{
    std::vector<std::string> full = {"--host", user.name + "@" + PrivateSshd::kHostAlias};
    full.insert(full.end(), args.begin(), args.end());
    return zenithctlAs(user, full,
                       {"HOME=" + homeOf(user), "DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/no-local-bus"});
}

class RemoteHost : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(sshd().sshd) << "private sshd: " << sshd().error; }
    std::string sshdLog() const { return sshd().sshd ? sshd().sshd->logText() : sshd().error; }
};

TEST_F(RemoteHost, AutomationUserCreatesListsAndDestroysOverSsh)
{
    const std::string name = "remote-cli";
    MachineCleanup cleanup(name);

    auto created = zenithctlOverSsh(automationUser(), {"--json", "--no-ask-password", "create", name, "--no-start"});
    ASSERT_EQ(created.exitCode, 0) << created.out << created.err << sshdLog();
    EXPECT_EQ(lastJson(created.out)["result"], "done") << created.out;
    // The job's signals crossed the bridge too, not only the method replies.
    EXPECT_FALSE(jsonEvents(created.out, "progress").empty()) << created.out;
    // The daemon saw the user who logged in over SSH.
    auto info = machineInfo(name);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->createdByUid, automationUser().uid);

    auto listed = zenithctlOverSsh(automationUser(), {"--json", "list"});
    ASSERT_EQ(listed.exitCode, 0) << listed.out << listed.err;
    auto rows = nlohmann::json::parse(listed.out, nullptr, false);
    ASSERT_TRUE(rows.is_array()) << listed.out;
    bool found = false;
    for (const auto& row : rows) {
        found = found || (row.value("name", "") == name && row.value("state", "") == "stopped");
    }
    EXPECT_TRUE(found) << listed.out;

    auto destroyed = zenithctlOverSsh(automationUser(), {"--json", "--no-ask-password", "destroy", name});
    ASSERT_EQ(destroyed.exitCode, 0) << destroyed.out << destroyed.err;
    EXPECT_EQ(lastJson(destroyed.out)["result"], "done");
    EXPECT_FALSE(machineOnBus(name));
    EXPECT_FALSE(rootfsExists(name));
}

TEST_F(RemoteHost, OutsiderOverSshIsDeniedAndNothingHappens)
{
    const std::string name = "remote-outsider";
    MachineCleanup cleanup(name);
    auto jobsBefore = jobIds();

    auto r = zenithctlOverSsh(outsiderUser(), {"--json", "--no-ask-password", "create", name, "--no-start"});

    EXPECT_EQ(r.exitCode, 3) << r.out << r.err << sshdLog();  // 3: denied
    EXPECT_EQ(lastJson(r.out)["error_name"], kAccessDenied) << r.out;
    EXPECT_EQ(jobIds(), jobsBefore);
    EXPECT_FALSE(machineOnBus(name));
    EXPECT_FALSE(rootfsExists(name));
}

TEST_F(RemoteHost, UnreachableHostIsUnavailableNotAHang)
{
    // A key the server does not know: ssh fails (BatchMode, no prompt) and
    // zenithctl says it could not reach that host's bus.
    auto r = zenithctlAs(automationUser(),
                         {"--host", "nobody@" + std::string(PrivateSshd::kHostAlias), "--json", "list"},
                         {"HOME=" + homeOf(automationUser())});
    EXPECT_EQ(r.exitCode, 7) << r.out << r.err;  // 7: unavailable
    auto error = lastJson(r.out);
    EXPECT_EQ(error["event"], "error") << r.out;
    EXPECT_NE(error.value("error_message", "").find(PrivateSshd::kHostAlias), std::string::npos) << r.out;
}

}  // namespace
}  // namespace zenith::bustest
