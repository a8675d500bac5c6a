// The keys the Proxmox backends register: each with its type and check, the
// OS types of both Proxmox and the original VM builder.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/spec.h"
#include "drivers/proxmox/spec_keys.h"

namespace zenith::drivers::proxmox {
namespace {

using core::ErrorCode;
using core::SpecMap;
using core::SpecValue;
using ::testing::HasSubstr;

SpecValue S(std::string v) { return {std::move(v), "s"}; }
SpecValue U(uint32_t v) { return {v, "u"}; }
SpecValue B(bool v) { return {v, "b"}; }

core::Result<core::MachineSpec> qemu(SpecMap raw) { return core::parseSpec(raw, {}, qemuSpecKeys(), "proxmox-qemu"); }
core::Result<core::MachineSpec> lxc(SpecMap raw) { return core::parseSpec(raw, {}, lxcSpecKeys(), "proxmox-lxc"); }

void expectInvalid(const core::Result<core::MachineSpec>& r, const std::string& fragment)
{
    ASSERT_FALSE(r) << "accepted; expected " << fragment;
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgs);
    EXPECT_THAT(r.error().message, HasSubstr(fragment));
}

TEST(ProxmoxSpecKeys, TheVmBuildersHardwareOptionsAreQemuKeys)
{
    auto r = qemu({{"iso", S("local:iso/ubuntu-24.04.iso")},
                   {"os_type", S("win11")},
                   {"bios", S("ovmf")},
                   {"virtio_iso", S("virtio-win.iso")},
                   {"cpu_type", S("x86-64-v2-AES")},
                   {"machine", S("q35")},
                   {"vga", S("virtio")},
                   {"scsihw", S("virtio-scsi-single")},
                   {"boot", S("order=scsi0;ide2;net0")},
                   {"agent", B(true)},
                   {"tablet", B(false)},
                   {"onboot", B(true)},
                   {"make_template", B(true)},
                   {"node", S("pve2")},
                   {"vmid", U(9101)},
                   {"storage", S("local-lvm")}});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->backend.text("boot"), "order=scsi0;ide2;net0");
    EXPECT_EQ(r->backend.flag("make_template"), true);
    EXPECT_EQ(r->backend.number("vmid"), 9101u);
    // Container keys are not VM keys, and the other way round.
    expectInvalid(qemu({{"nesting", B(true)}}), "unknown spec key 'nesting' for backend 'proxmox-qemu'");
    expectInvalid(lxc({{"iso", S("x.iso")}}), "unknown spec key 'iso' for backend 'proxmox-lxc'");
}

TEST(ProxmoxSpecKeys, CloudPodKeysAreLxcKeys)
{
    auto r = lxc({{"last_octet", U(91)},
                  {"ostemplate", S("local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst")},
                  {"unprivileged", B(true)},
                  {"nesting", B(true)},
                  {"full_clone", B(false)},
                  {"pool", S("cloudpods")}});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->backend.number("last_octet"), 91u);
    expectInvalid(lxc({{"last_octet", U(0)}}), "accepted 1-254");
    expectInvalid(lxc({{"last_octet", U(255)}}), "accepted 1-254");
    expectInvalid(lxc({{"unprivileged", S("yes")}}), "must have type 'b', got 's'");
}

TEST(ProxmoxSpecKeys, OsTypesOfProxmoxAndOfTheOriginalBuilder)
{
    for (auto t : {"l26", "l24", "win10", "win11", "w2k8", "wxp", "other", "solaris"})
        EXPECT_EQ(proxmoxOsType(t), t);
    for (auto t : {"ubuntu", "debian", "centos", "rocky", "alma"})
        EXPECT_EQ(proxmoxOsType(t), "l26") << t;
    EXPECT_EQ(proxmoxOsType("windows"), "win11");
    EXPECT_FALSE(proxmoxOsType("Win11"));
    EXPECT_FALSE(proxmoxOsType("linux"));
    EXPECT_TRUE(isWindowsOsType("win11"));
    EXPECT_TRUE(isWindowsOsType("w2k8"));
    EXPECT_FALSE(isWindowsOsType("l26"));
    expectInvalid(qemu({{"os_type", S("linux")}}), "'os_type' = 'linux' is not an OS type");
}

TEST(ProxmoxSpecKeys, EnumeratedHardwareValuesAreTheServers)
{
    expectInvalid(qemu({{"bios", S("uefi")}}), "seabios|ovmf");
    expectInvalid(qemu({{"machine", S("i440fx")}}), "q35|pc");
    expectInvalid(qemu({{"vga", S("vga")}}), "'vga' = 'vga' is not one of");
    expectInvalid(qemu({{"scsihw", S("virtio")}}), "'scsihw'");
    expectInvalid(qemu({{"cpu_type", S("host;rm -rf")}}), "'cpu_type'");
    for (auto bad : {"scsi0;ide2", "order=", "order=scsi", "order=scsi0;;ide2", "order=0scsi", "order=scsi0,ide2",
                     "order=efidisk0", "order=tpmstate0", "order=foo1", "cdnx", "legacy="})
        expectInvalid(qemu({{"boot", S(bad)}}), "is not a boot order");
    for (auto good : {"order=virtio0", "order=scsi0;ide2;net0", "order=hostpci0", "cdn", "legacy=dc"})
        EXPECT_TRUE(qemu({{"boot", S(good)}})) << good;
}

}  // namespace
}  // namespace zenith::drivers::proxmox
