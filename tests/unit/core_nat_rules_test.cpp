// The port forwards and NAT the machines get, and every nft rule built for
// them (applied for real in net_nft_table_test.cpp).
#include <gtest/gtest.h>

#include "core/net/nat_rules.h"
#include "core/spec.h"

namespace zenith::core {
namespace {

MachineRecord machine(std::string name, std::vector<std::string> addresses, std::vector<PortForward> ports,
                      std::string backend = "nspawn")
{
    MachineRecord m;
    m.name = std::move(name);
    m.backend = std::move(backend);
    m.addresses = std::move(addresses);
    MachineSpec spec;
    if (!ports.empty())
        spec.ports = std::move(ports);
    m.specJson = specToJson(spec);
    return m;
}

Config natConfig()
{
    Config c;
    c.pools["lab"].subnet = "10.77.0.0/24";
    c.pools["lab"].nat = true;
    c.pools["public"].subnet = "192.0.2.0/24";  // NAT=no: public addresses stay
    c.pools["v6only"].subnet6 = "fd77::/64";
    return c;
}

TEST(CoreNatRules, ForwardsOfNspawnMachinesWithAnIpv4AddressAndNatPools)
{
    const std::vector<MachineRecord> machines{
        machine("web", {"10.77.0.10", "fd77::2"}, {{"tcp", 8022, 22}, {"udp", 5353, 53}}),
        machine("db", {"fd77::3", "10.77.0.11"}, {{"tcp", 2222, 22}}),  // its IPv4 address, wherever listed
        machine("plain", {"10.77.0.12"}, {}),
        machine("v6", {"fd77::4"}, {{"tcp", 8080, 80}}),                      // no IPv4 address: nothing to DNAT to
        machine("pod", {"10.1.10.91"}, {{"tcp", 9000, 22}}, "proxmox-lxc"),  // the cluster's business
    };
    auto rules = natRulesOf(machines, natConfig());
    EXPECT_EQ(rules.forwards, (std::vector<NatForward>{{"db", "tcp", 2222, "10.77.0.11", 22},
                                                       {"web", "tcp", 8022, "10.77.0.10", 22},
                                                       {"web", "udp", 5353, "10.77.0.10", 53}}));
    EXPECT_EQ(rules.masquerade, (std::vector<NatMasquerade>{{"lab", "10.77.0.0/24"}}));
    EXPECT_FALSE(rules.empty());
    EXPECT_TRUE(natRulesOf({}, Config{}).empty());
}

TEST(CoreNatRules, NoRulesOnlyRemovesTheTable)
{
    EXPECT_EQ(renderNatScript({}), "table inet zenith {\n}\ndelete table inet zenith\n");
}

TEST(CoreNatRules, EveryRuleOfTheTable)
{
    NatRules rules;
    rules.forwards = {{"web", "tcp", 8022, "10.77.0.10", 22}, {"db", "udp", 5353, "10.77.0.11", 53}};
    rules.masquerade = {{"lab", "10.77.0.0/24"}};
    EXPECT_EQ(renderNatScript(rules),
              "table inet zenith {\n}\ndelete table inet zenith\n"
              "table inet zenith {\n"
              "\tchain prerouting {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
              "\t\tfib daddr type local tcp dport 8022 dnat ip to 10.77.0.10:22 comment \"web\"\n"
              "\t\tfib daddr type local udp dport 5353 dnat ip to 10.77.0.11:53 comment \"db\"\n"
              "\t}\n"
              "\tchain output {\n\t\ttype nat hook output priority -100; policy accept;\n"
              "\t\tfib daddr type local tcp dport 8022 dnat ip to 10.77.0.10:22 comment \"web\"\n"
              "\t\tfib daddr type local udp dport 5353 dnat ip to 10.77.0.11:53 comment \"db\"\n"
              "\t}\n"
              "\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
              "\t\tip saddr 10.77.0.0/24 ip daddr != 10.77.0.0/24 masquerade comment \"pool lab\"\n"
              "\t}\n}\n");
}

// Names are checked before they get here; a comment still cannot be left.
TEST(CoreNatRules, CommentsCannotEndTheirString)
{
    NatRules rules;
    rules.masquerade = {{"a\" accept; #", "10.0.0.0/8"}};
    auto script = renderNatScript(rules);
    EXPECT_NE(script.find("comment \"pool a__accept___\"\n"), std::string::npos) << script;
}

}  // namespace
}  // namespace zenith::core
