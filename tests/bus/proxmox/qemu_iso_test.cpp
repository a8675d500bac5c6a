// VMs from an ISO (proxmox-qemu CreateMachine): the VM is made on the node
// that holds the ISO (a bare file name is looked up on every node), left
// stopped with the ISO as its CD for installation from the console; a
// Windows VM gets UEFI, q35, an EFI disk and the VirtIO driver ISO as a
// second CD.
#include <gtest/gtest.h>

#include "daemon_view.h"
#include "proxmox_support.h"

namespace zenith::bustest::pve {
namespace {

using nlohmann::json;

constexpr uint64_t kGiB = 1ull << 30;

std::string configText(const json& guest, const std::string& key)
{
    if (!guest.is_object() || !guest["config"].contains(key)) {
        return {};
    }
    const auto& v = guest["config"][key];
    return v.is_string() ? v.get<std::string>() : v.dump();
}

bool isCdromOf(const std::string& value, const std::string& volid)
{
    return value.starts_with(volid + ",") && value.find("media=cdrom") != std::string::npos;
}

class ProxmoxIso : public ProxmoxTest {};

TEST_F(ProxmoxIso, LinuxVmOnTheNodeHoldingTheIso)
{
    const std::string name = "lab-ubuntu";
    MachineCleanup cleanup(name);

    client::Spec spec;
    spec.setIso("ubuntu-24.04-live-server-amd64.iso")
        .setOsType("ubuntu")
        .setCores(2)
        .setMemoryMax(4 * kGiB)
        .setDiskMax(32 * kGiB);
    auto made = createAsAuto(name, "proxmox-qemu", spec);
    ASSERT_TRUE(made.done()) << made.describe() << evidence(name);

    auto vmid = simVmidByName(name);
    ASSERT_TRUE(vmid.has_value()) << "no VM named " << name << " on the cluster" << evidence(name);
    auto guest = simGuest(*vmid);
    EXPECT_EQ(guest.value("type", ""), "qemu");
    EXPECT_EQ(guest.value("node", ""), "pve2") << "the ISO is only on pve2";
    EXPECT_EQ(guest.value("status", ""), "stopped");
    EXPECT_TRUE(guest["lock"].is_null()) << guest.dump();
    EXPECT_TRUE(isCdromOf(configText(guest, "ide2"), "local:iso/ubuntu-24.04-live-server-amd64.iso"))
        << configText(guest, "ide2");
    EXPECT_EQ(configText(guest, "ostype"), "l26");
    EXPECT_EQ(configText(guest, "cores"), "2");
    EXPECT_EQ(configText(guest, "memory"), "4096") << "memory in MiB";
    EXPECT_NE(configText(guest, "scsi0").find("size=32G"), std::string::npos) << configText(guest, "scsi0");

    auto info = machineInfo(name);
    ASSERT_TRUE(info.has_value()) << evidence(name);
    EXPECT_EQ(info->backend, "proxmox-qemu");
    EXPECT_EQ(info->kind, "vm");
    // As the cluster has it: a VM from an ISO is left stopped (flags 0),
    // and the daemon must not claim otherwise.
    EXPECT_EQ(info->state, "stopped") << "the cluster has VM " << *vmid << " " << guest.value("status", "")
                                      << evidence(name);
    EXPECT_EQ(info->node, "pve2");
    EXPECT_EQ(info->vmid, *vmid);
    EXPECT_EQ(info->createdByUid, automationUser().uid);
}

TEST_F(ProxmoxIso, WindowsVmGetsUefiQ35AndTheVirtioCd)
{
    const std::string name = "lab-win11";
    MachineCleanup cleanup(name);

    client::Spec spec;
    spec.setIso("Win11_24H2.iso").setOsType("win11").setCores(2).setMemoryMax(4 * kGiB).setDiskMax(64 * kGiB);
    auto made = createAsAuto(name, "proxmox-qemu", spec);
    ASSERT_TRUE(made.done()) << made.describe() << evidence(name);

    auto vmid = simVmidByName(name);
    ASSERT_TRUE(vmid.has_value()) << "no VM named " << name << " on the cluster" << evidence(name);
    auto guest = simGuest(*vmid);
    EXPECT_EQ(guest.value("node", ""), "pve3") << "the ISO is only on pve3";
    EXPECT_EQ(guest.value("status", ""), "stopped");
    EXPECT_EQ(configText(guest, "ostype"), "win11");
    EXPECT_EQ(configText(guest, "bios"), "ovmf");
    const std::string machine = configText(guest, "machine");
    EXPECT_TRUE(machine == "q35" || machine.starts_with("pc-q35")) << machine;
    EXPECT_FALSE(configText(guest, "efidisk0").empty()) << guest["config"].dump();
    EXPECT_TRUE(isCdromOf(configText(guest, "ide2"), "local:iso/Win11_24H2.iso")) << configText(guest, "ide2");
    // The VirtIO drivers as a second CD, in whichever slot.
    std::string virtioSlot;
    for (const auto& [key, value] : guest["config"].items()) {
        if (key != "ide2" && value.is_string() && isCdromOf(value.get<std::string>(), "local:iso/virtio-win-0.1.262.iso")) {
            virtioSlot = key;
        }
    }
    EXPECT_FALSE(virtioSlot.empty()) << "no second CD with the VirtIO ISO: " << guest["config"].dump();

    auto info = machineInfo(name);
    ASSERT_TRUE(info.has_value()) << evidence(name);
    EXPECT_EQ(info->node, "pve3");
    EXPECT_EQ(info->state, "stopped") << "the cluster has VM " << *vmid << " " << guest.value("status", "")
                                      << evidence(name);
}

}  // namespace
}  // namespace zenith::bustest::pve
