// Port forwards on the bus (an extension): zenithctl forwards / forward /
// unforward as the automation user, whom the shipped rule grants configure.
// No bridge exists in this tier, so no machine here has an address a
// forward could lead to: adding one is refused with a named error that
// changes nothing. SSH through a real forward is in the e2e tier.
#include <gtest/gtest.h>

#include "daemon_view.h"
#include "zenithctl_run.h"

namespace zenith::bustest {
namespace {

using nlohmann::json;

TEST(Forwards, ZenithctlNamesWhyAForwardCannotBeAddedOrRemoved)
{
    MachineCleanup cleanup("fwd-plain");
    ASSERT_EQ(createStoppedAsRoot("fwd-plain"), "done");
    auto list = zenithctlAs(automationUser(), {"--json", "--no-ask-password", "forwards"});
    ASSERT_EQ(list.exitCode, 0) << list.out << list.err;
    EXPECT_EQ(json::parse(list.out), json::array());

    const auto jobsBefore = jobIds();
    auto add = zenithctlAs(automationUser(), {"--json", "--no-ask-password", "forward", "fwd-plain", "tcp:8022:22"});
    EXPECT_EQ(add.exitCode, 2) << add.out << add.err;
    auto error = lastJson(add.out);
    EXPECT_EQ(error["error_name"], "org.freedesktop.DBus.Error.InvalidArgs");
    EXPECT_EQ(error["error_message"], "ports: needs ipv4 (the machine's address on a bridge, which the forwards lead to)");

    auto remove = zenithctlAs(automationUser(), {"--json", "--no-ask-password", "unforward", "fwd-plain", "tcp:8022"});
    EXPECT_EQ(remove.exitCode, 2) << remove.out << remove.err;
    EXPECT_EQ(lastJson(remove.out)["error_message"], "ports: fwd-plain forwards no host port 8022/tcp");

    // A malformed forward never reaches the bus.
    auto bad = zenithctlAs(automationUser(), {"--json", "--no-ask-password", "forward", "fwd-plain", "sctp:1:2"});
    EXPECT_EQ(bad.exitCode, 2) << bad.out << bad.err;
    EXPECT_NE(lastJson(bad.out)["error_message"].get<std::string>().find("PROTO is tcp or udp"), std::string::npos)
        << bad.out;

    EXPECT_EQ(jobIds(), jobsBefore);
    auto info = machineInfo("fwd-plain");
    ASSERT_TRUE(info);
    EXPECT_TRUE(info->portForwards.empty());
}

}  // namespace
}  // namespace zenith::bustest
