// Address pools on the bus (an extension): the automation user asks which
// address is next, as `cloudpod-next-ip` answered, and lists the pools and
// their leases - with zenithctl --json and with busctl, a client the project
// did not write.
#include <gtest/gtest.h>

#include "daemon_view.h"
#include "zenithctl_run.h"

namespace zenith::bustest {
namespace {

using nlohmann::json;

TEST(Pools, ZenithctlListsPoolsLeasesAndTheNextAddress)
{
    auto pools = zenithctlAs(automationUser(), {"--json", "--no-ask-password", "pools"});
    ASSERT_EQ(pools.exitCode, 0) << pools.out << pools.err;
    auto doc = json::parse(pools.out);
    ASSERT_EQ(doc.size(), 2u) << pools.out;  // the pool's IPv4 part, then its IPv6 part
    EXPECT_EQ(doc[0]["name"], "lab");
    EXPECT_EQ(doc[0]["subnet"], "10.1.10.0/24");
    EXPECT_EQ(doc[0]["gateway"], "10.1.10.1");
    EXPECT_EQ(doc[0]["range"], "10.1.10.91-10.1.10.250");
    EXPECT_EQ(doc[0]["dns"], json::array({"10.1.10.53"}));
    EXPECT_EQ(doc[0]["size"], 160);
    EXPECT_EQ(doc[1]["name"], "lab");
    EXPECT_EQ(doc[1]["subnet"], "fd00:10::/64");
    EXPECT_EQ(doc[1]["gateway"], "fd00:10::1");
    EXPECT_EQ(doc[1]["range"], "fd00:10::100-fd00:10::1ff");
    EXPECT_EQ(doc[1]["size"], 256);

    auto next = zenithctlAs(automationUser(), {"--no-ask-password", "next-ip", "lab"});
    ASSERT_EQ(next.exitCode, 0) << next.out << next.err;
    // The lowest address of the range nobody holds (leases from other tests
    // would move it; none of them leases from this pool).
    EXPECT_EQ(next.out, "10.1.10.91/24\n");
    auto next6 = zenithctlAs(automationUser(), {"--no-ask-password", "next-ip", "-6", "lab"});
    ASSERT_EQ(next6.exitCode, 0) << next6.out << next6.err;
    EXPECT_EQ(next6.out, "fd00:10::100/64\n");

    auto leases = zenithctlAs(automationUser(), {"--json", "--no-ask-password", "leases", "lab"});
    ASSERT_EQ(leases.exitCode, 0) << leases.out << leases.err;
    EXPECT_EQ(json::parse(leases.out), json::array());

    auto unknown = zenithctlAs(automationUser(), {"--json", "--no-ask-password", "next-ip", "nope"});
    EXPECT_EQ(unknown.exitCode, 2) << unknown.out << unknown.err;
    auto error = lastJson(unknown.out);
    EXPECT_EQ(error["error_name"], "org.freedesktop.DBus.Error.InvalidArgs");
    EXPECT_NE(error["error_message"].get<std::string>().find("configured: lab"), std::string::npos) << unknown.out;
}

// This daemon's config allows the bridge zbus0, which no test makes: it is
// listed as missing, and the read is allowed. A bridge that exists, with
// machines on it, is in the e2e tier, where the daemon has a network
// namespace of its own.
TEST(Pools, BridgesAreAReadTheAutomationUserMayMake)
{
    auto bridges = zenithctlAs(automationUser(), {"--json", "--no-ask-password", "bridges"});
    ASSERT_EQ(bridges.exitCode, 0) << bridges.out << bridges.err;
    EXPECT_EQ(json::parse(bridges.out),
              json::parse(R"([{"name":"zbus0","state":"missing","addresses":[],"ports":[]}])"));
    auto table = zenithctlAs(automationUser(), {"--no-ask-password", "bridges"});
    ASSERT_EQ(table.exitCode, 0) << table.out << table.err;
    EXPECT_EQ(table.out.rfind("BRIDGE", 0), 0u) << table.out;
    EXPECT_NE(table.out.find("zbus0"), std::string::npos) << table.out;
    EXPECT_NE(table.out.find("missing"), std::string::npos) << table.out;
}

TEST(Pools, BusctlCallsNextFreeAddressAsTheAutomationUser)
{
    auto r = runProgram({"setpriv", "--reuid=" + std::to_string(automationUser().uid),
                         "--regid=" + std::to_string(automationUser().gid), "--init-groups", "busctl", "--system",
                         "--json=short", "call", "org.zenith.Provisioner", "/org/zenith/Provisioner",
                         "org.zenith.Provisioner.Manager", "NextFreeAddress", "s", "lab"},
                        rootUser());
    ASSERT_EQ(r.exitCode, 0) << r.err;
    auto reply = json::parse(r.out);
    EXPECT_EQ(reply["type"], "s");
    EXPECT_EQ(reply["data"][0], "10.1.10.91/24");
    auto r6 = runProgram({"setpriv", "--reuid=" + std::to_string(automationUser().uid),
                          "--regid=" + std::to_string(automationUser().gid), "--init-groups", "busctl", "--system",
                          "--json=short", "call", "org.zenith.Provisioner", "/org/zenith/Provisioner",
                          "org.zenith.Provisioner.Manager", "NextFreeAddress6", "s", "lab"},
                         rootUser());
    ASSERT_EQ(r6.exitCode, 0) << r6.err;
    EXPECT_EQ(json::parse(r6.out)["data"][0], "fd00:10::100/64");

    auto pools = runProgram({"setpriv", "--reuid=" + std::to_string(outsiderUser().uid),
                             "--regid=" + std::to_string(outsiderUser().gid), "--init-groups", "busctl", "--system",
                             "--json=short", "call", "org.zenith.Provisioner", "/org/zenith/Provisioner",
                             "org.zenith.Provisioner.Manager", "ListPools"},
                            rootUser());
    // Reads are open to every local user (`read` defaults to yes).
    ASSERT_EQ(pools.exitCode, 0) << pools.err;
    EXPECT_EQ(json::parse(pools.out)["type"], "a(ssssasuu)");
}

}  // namespace
}  // namespace zenith::bustest
