// The simulated cluster's guests are machines of the daemon: the driver reads
// /cluster/resources once at start (and every 30 s), so the golden templates
// seeded on the first node are listed within seconds, with their backend,
// state, VMID and node - for the automation user too (`read`).
#include <gtest/gtest.h>

#include "daemon_view.h"
#include "proxmox_support.h"

namespace zenith::bustest::pve {
namespace {

using nlohmann::json;

TEST(ProxmoxListing, ClusterGuestsAppearAsMachinesWithinSeconds)
{
    json cloudpod, ubuntu;
    bool listed = waitFor(
        [&] {
            cloudpod = machineRowAsAuto("cloudpod-template");
            ubuntu = machineRowAsAuto("ubuntu-2404-template");
            return cloudpod.is_object() && ubuntu.is_object();
        },
        std::chrono::seconds(20));
    ASSERT_TRUE(listed) << "not listed within 20 s; ListMachines as zenith-auto: " << machinesAsAuto().dump()
                        << "\ndaemon log:\n"
                        << daemonLogLines("") << "simulator requests:\n"
                        << simRequestsText(0, 20);

    EXPECT_EQ(cloudpod.value("backend", ""), "proxmox-lxc") << cloudpod.dump();
    EXPECT_EQ(cloudpod.value("state", ""), "template") << cloudpod.dump();
    EXPECT_EQ(ubuntu.value("backend", ""), "proxmox-qemu") << ubuntu.dump();
    EXPECT_EQ(ubuntu.value("state", ""), "template") << ubuntu.dump();

    auto ct = machineInfo("cloudpod-template");
    ASSERT_TRUE(ct.has_value());
    EXPECT_EQ(ct->vmid, 9000u);
    EXPECT_EQ(ct->node, "pve1");
    EXPECT_EQ(ct->kind, "container");
    EXPECT_EQ(ct->backend, "proxmox-lxc");

    auto vm = machineInfo("ubuntu-2404-template");
    ASSERT_TRUE(vm.has_value());
    EXPECT_EQ(vm->vmid, 9100u);
    EXPECT_EQ(vm->node, "pve1");
    EXPECT_EQ(vm->kind, "vm");
    EXPECT_EQ(vm->backend, "proxmox-qemu");

    // The other seeded template (on a storage without linked clones) too.
    auto dir = machineRowAsAuto("cloudpod-template-dir");
    EXPECT_TRUE(dir.is_object()) << machinesAsAuto().dump();
}

// ListImages per backend: the ISOs and container templates of every node.
TEST(ProxmoxListing, ImagesOfTheClusterAreListed)
{
    // The listing comes with the same first read of the cluster.
    ASSERT_TRUE(waitFor([] { return machineRowAsAuto("cloudpod-template").is_object(); }, std::chrono::seconds(20)));
    auto isos = connectClient().images("proxmox-qemu");
    ASSERT_TRUE(isos.has_value()) << isos.error().name << ": " << isos.error().message;
    bool ubuntuIso = false, winIso = false;
    for (const auto& i : *isos) {
        EXPECT_EQ(i.kind, "iso") << i.id;
        if (i.id == "local:iso/ubuntu-24.04-live-server-amd64.iso") {
            ubuntuIso = true;
            EXPECT_NE(i.location.find("pve2"), std::string::npos) << i.location;
        }
        winIso = winIso || i.id == "local:iso/Win11_24H2.iso";
    }
    EXPECT_TRUE(ubuntuIso);
    EXPECT_TRUE(winIso);

    auto templates = connectClient().images("proxmox-lxc");
    ASSERT_TRUE(templates.has_value()) << templates.error().name << ": " << templates.error().message;
    bool debian = false;
    for (const auto& t : *templates) {
        debian = debian || t.id == "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";
    }
    EXPECT_TRUE(debian);
}

}  // namespace
}  // namespace zenith::bustest::pve
