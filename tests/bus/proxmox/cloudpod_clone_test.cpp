// CloudPods end to end: the automation user clones the golden container
// template (CT 9000 on pve1) the way mPanel's `cloudpod-create.sh` did, with
// zenithctl over the bus, and the new container appears on the cluster
// with its hostname, address, resources, started; the machine, its lease of
// pool `cloud` and its VMID/node are on the bus.
#include <gtest/gtest.h>

#include <set>

#include "daemon_view.h"
#include "proxmox_support.h"
#include "zenithctl_run.h"

namespace zenith::bustest::pve {
namespace {

using nlohmann::json;

std::string configText(const json& guest, const char* key)
{
    if (!guest.is_object() || !guest["config"].contains(key)) {
        return {};
    }
    const auto& v = guest["config"][key];
    return v.is_string() ? v.get<std::string>() : v.dump();
}

class CloudPodClone : public ProxmoxTest {};

TEST_F(CloudPodClone, ZenithctlClonesTheTemplateEndToEnd)
{
    const std::string name = "migra-client-01";
    MachineCleanup cleanup(name);

    auto r = zenithctlAuto({"clone", kTemplate, name, "--vmid", "9101", "--ip", "10.1.10.91/24", "--cores", "2",
                            "--mem", "2048"});
    ASSERT_EQ(r.exitCode, 0) << r.out << r.err << evidence(name);
    auto result = lastJson(r.out);
    EXPECT_EQ(result.value("event", ""), "result") << r.out;
    EXPECT_EQ(result.value("result", ""), "done") << r.out;

    auto guest = simGuest(9101);
    ASSERT_TRUE(guest.is_object()) << "no CT 9101 on the cluster" << evidence(name);
    EXPECT_EQ(guest.value("type", ""), "lxc");
    EXPECT_EQ(guest.value("node", ""), "pve1");
    EXPECT_EQ(guest.value("status", ""), "running") << guest.dump();
    EXPECT_TRUE(guest["lock"].is_null()) << guest.dump();
    EXPECT_EQ(configText(guest, "hostname"), name);
    const std::string net0 = configText(guest, "net0");
    EXPECT_NE(net0.find("ip=10.1.10.91/24"), std::string::npos) << net0;
    EXPECT_NE(net0.find("gw=10.1.10.1"), std::string::npos) << net0;
    EXPECT_EQ(configText(guest, "cores"), "2");
    EXPECT_EQ(configText(guest, "memory"), "2048");

    auto info = machineInfo(name);
    ASSERT_TRUE(info.has_value()) << evidence(name);
    EXPECT_EQ(info->state, "running");
    EXPECT_EQ(info->backend, "proxmox-lxc");
    EXPECT_EQ(info->vmid, 9101u);
    EXPECT_EQ(info->node, "pve1");
    EXPECT_EQ(info->createdByUid, automationUser().uid);
    std::vector<std::string> hosts;
    for (const auto& a : info->addresses) {
        hosts.push_back(hostPart(a));
    }
    EXPECT_EQ(hosts, std::vector<std::string>{"10.1.10.91"});

    auto row = machineRowAsAuto(name);
    ASSERT_TRUE(row.is_object());
    EXPECT_EQ(row.value("state", ""), "running");
    EXPECT_EQ(hostPart(row.value("address", "")), "10.1.10.91") << row.dump();

    EXPECT_EQ(leaseOf(name), "10.1.10.91");
}

// ipv4=auto: the next free address of the cluster's pool, and without a
// vmid the cluster's next free id (/cluster/nextid).
TEST_F(CloudPodClone, AutoAddressAndVmidAreTheNextFree)
{
    const std::string first = "pod-auto-a", second = "pod-auto-b";
    MachineCleanup cleanFirst(first), cleanSecond(second);

    const std::string expectFirst = nextFreeAddress();
    const uint32_t vmidFirst = simNextFreeVmid();
    client::Spec spec;
    spec.setIpv4("auto").setCores(1).setMemoryMax(512ull << 20);
    auto a = cloneAsAuto(kTemplate, first, spec);
    ASSERT_TRUE(a.done()) << a.describe() << evidence(first);
    ASSERT_EQ(leaseOf(first), expectFirst);

    // The first holds its address now: the second gets the one after it
    // (10.1.10.92 when the first got .91).
    const std::string expectSecond = nextFreeAddress();
    EXPECT_NE(expectSecond, expectFirst);
    const uint32_t vmidSecond = simNextFreeVmid();
    EXPECT_NE(vmidSecond, vmidFirst);
    auto b = cloneAsAuto(kTemplate, second, spec);
    ASSERT_TRUE(b.done()) << b.describe() << evidence(second);
    EXPECT_EQ(leaseOf(second), expectSecond);

    for (auto [name, vmid, address] : {std::tuple{first, vmidFirst, expectFirst},
                                       std::tuple{second, vmidSecond, expectSecond}}) {
        auto info = machineInfo(name);
        ASSERT_TRUE(info.has_value()) << name;
        EXPECT_EQ(info->vmid, vmid) << name;
        auto guest = simGuest(vmid);
        ASSERT_TRUE(guest.is_object()) << name << ": no guest " << vmid << evidence(name);
        EXPECT_EQ(configText(guest, "hostname"), name);
        EXPECT_NE(configText(guest, "net0").find("ip=" + address + "/24"), std::string::npos)
            << configText(guest, "net0");
        EXPECT_NE(configText(guest, "net0").find("gw=10.1.10.1"), std::string::npos) << configText(guest, "net0");
    }
}

// A dual-stack CloudPod: `--ip auto --ipv6 auto` leases one address of
// each family from the cluster's pool, net0 carries both with their
// gateways, `next-ip -6` moves on, and the destroy gives both back.
TEST_F(CloudPodClone, DualStackTakesAnAddressOfEachFamilyFromThePool)
{
    const std::string name = "pod-dual";
    auto next6 = zenithctlAuto({"next-ip", "-6", kPool});
    ASSERT_EQ(next6.exitCode, 0) << next6.out << next6.err;
    const std::string expect6 = hostPart(lastJson(next6.out).value("address", ""));
    ASSERT_NE(expect6.find("fd00:10:1::"), std::string::npos) << next6.out;
    const std::string expect4 = nextFreeAddress();
    {
        MachineCleanup cleanup(name);
        auto r = zenithctlAuto({"clone", kTemplate, name, "--vmid", "9121", "--ip", "auto", "--ipv6", "auto",
                                "--cores", "1", "--mem", "512"});
        ASSERT_EQ(r.exitCode, 0) << r.out << r.err << evidence(name);
        auto guest = simGuest(9121);
        ASSERT_TRUE(guest.is_object()) << evidence(name);
        const std::string net0 = configText(guest, "net0");
        // Proxmox keeps a property string's keys sorted.
        for (const std::string& part : std::vector<std::string>{"ip=" + expect4 + "/24", "gw=10.1.10.1,",
                                                                "ip6=" + expect6 + "/64", "gw6=fd00:10:1::1,"})
            EXPECT_NE(net0.find(part), std::string::npos) << part << " not in " << net0;

        std::set<std::string> held;
        for (const auto& l : poolLeases())
            if (l.machine == name)
                held.insert(l.address);
        EXPECT_EQ(held, (std::set<std::string>{expect4, expect6}));
        auto after = zenithctlAuto({"next-ip", "-6", kPool});
        ASSERT_EQ(after.exitCode, 0) << after.err;
        EXPECT_NE(hostPart(lastJson(after.out).value("address", "")), expect6) << after.out;

        auto destroy = zenithctlAuto({"destroy", name, "--force"});
        ASSERT_EQ(destroy.exitCode, 0) << destroy.out << destroy.err;
    }
    for (const auto& l : poolLeases())
        EXPECT_NE(l.machine, name) << l.address << " still leased";
}

// `zenithctl cloudpod VMID NAME LAST_OCTET`: the address ending in the
// octet, of the pool (a /24).
TEST_F(CloudPodClone, LastOctetPicksThePoolAddress)
{
    const std::string name = "pod-octet";
    MachineCleanup cleanup(name);

    auto r = zenithctlAuto({"cloudpod", "9111", name, "195", "--cores", "1", "--mem", "512"});
    ASSERT_EQ(r.exitCode, 0) << r.out << r.err << evidence(name);
    auto guest = simGuest(9111);
    ASSERT_TRUE(guest.is_object()) << evidence(name);
    EXPECT_EQ(configText(guest, "hostname"), name);
    EXPECT_NE(configText(guest, "net0").find("ip=10.1.10.195/24"), std::string::npos) << configText(guest, "net0");
    EXPECT_EQ(configText(guest, "memory"), "512");
    EXPECT_EQ(leaseOf(name), "10.1.10.195");
}

}  // namespace
}  // namespace zenith::bustest::pve
