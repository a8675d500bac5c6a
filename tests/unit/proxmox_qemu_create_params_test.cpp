// The proxmox-qemu VM builder's parameters: the exact form of POST
// /nodes/{node}/qemu, the ranges, and the ISO and storage picks.
#include <gtest/gtest.h>

#include "drivers/proxmox/qemu_create_params.h"

namespace zenith::drivers::proxmox {
namespace {

using core::ErrorCode;
using core::SpecValue;

constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kGiB = 1ull << 30;

SpecValue S(std::string s) { return SpecValue{std::move(s), "s"}; }
SpecValue B(bool b) { return SpecValue{b, "b"}; }

core::MachineSpec specWith(std::initializer_list<std::pair<const std::string, SpecValue>> backend = {})
{
    core::MachineSpec spec;
    for (const auto& [k, v] : backend)
        spec.backend.values.emplace(k, v);
    return spec;
}

QemuBuild build()
{
    return QemuBuild{.vmid = 120,
                     .name = "web1",
                     .isoVolid = "local:iso/debian-12.iso",
                     .virtioVolid = "",
                     .storage = "local-lvm",
                     .bridge = "vmbr0"};
}

void expectError(const auto& r, ErrorCode code, std::string_view part)
{
    ASSERT_FALSE(r.has_value()) << "expected an error holding: " << part;
    EXPECT_EQ(r.error().code, code) << r.error().message;
    EXPECT_NE(r.error().message.find(part), std::string::npos) << r.error().message;
}

bool hasKey(const Params& p, std::string_view key)
{
    return std::ranges::any_of(p, [&](const auto& kv) { return kv.first == key; });
}

TEST(ProxmoxQemuCreateParams, ALinuxVmWithTheDefaults)
{
    auto p = qemuCreateParams(specWith(), build(), QemuLimits{});
    ASSERT_TRUE(p) << p.error().message;
    const Params expected{
        {"vmid", "120"},
        {"name", "web1"},
        {"ostype", "l26"},
        {"bios", "seabios"},
        {"cpu", "x86-64-v2-AES"},
        {"sockets", "1"},
        {"cores", "2"},
        {"memory", "2048"},
        {"scsihw", "virtio-scsi-single"},
        {"scsi0", "local-lvm:32,iothread=1,discard=on"},
        {"ide2", "local:iso/debian-12.iso,media=cdrom"},
        {"net0", "virtio,bridge=vmbr0"},
        {"boot", "order=scsi0;ide2;net0"},
        {"agent", "1"},
    };
    EXPECT_EQ(*p, expected);
}

TEST(ProxmoxQemuCreateParams, AWindows11VmWithTheVirtioIso)
{
    QemuBuild b = build();
    b.name = "desk7";
    b.isoVolid = "nfs-iso:iso/Win11_24H2_English_x64.iso";
    b.virtioVolid = "local:iso/virtio-win-0.1.262.iso";
    auto spec = specWith({{"os_type", S("windows")}});
    spec.memoryMax = 8 * kGiB;
    spec.diskMax = 64 * kGiB;
    spec.cores = 4;
    auto p = qemuCreateParams(spec, b, QemuLimits{});
    ASSERT_TRUE(p) << p.error().message;
    const Params expected{
        {"vmid", "120"},
        {"name", "desk7"},
        {"ostype", "win11"},
        {"bios", "ovmf"},
        {"machine", "q35"},
        {"cpu", "x86-64-v2-AES"},
        {"sockets", "1"},
        {"cores", "4"},
        {"memory", "8192"},
        {"scsihw", "virtio-scsi-single"},
        {"scsi0", "local-lvm:64,iothread=1,discard=on"},
        {"efidisk0", "local-lvm:1,efitype=4m,pre-enrolled-keys=1"},
        {"tpmstate0", "local-lvm:1,version=v2.0"},
        {"ide2", "nfs-iso:iso/Win11_24H2_English_x64.iso,media=cdrom"},
        {"ide0", "local:iso/virtio-win-0.1.262.iso,media=cdrom"},
        {"net0", "virtio,bridge=vmbr0"},
        {"boot", "order=scsi0;ide2;net0"},
        {"agent", "1"},
    };
    EXPECT_EQ(*p, expected);
}

TEST(ProxmoxQemuCreateParams, AWindows11VmWithoutAVirtioIso)
{
    auto p = qemuCreateParams(specWith({{"os_type", S("win11")}}), build(), QemuLimits{});
    ASSERT_TRUE(p) << p.error().message;
    const Params expected{
        {"vmid", "120"},
        {"name", "web1"},
        {"ostype", "win11"},
        {"bios", "ovmf"},
        {"machine", "q35"},
        {"cpu", "x86-64-v2-AES"},
        {"sockets", "1"},
        {"cores", "2"},
        {"memory", "2048"},
        {"scsihw", "virtio-scsi-single"},
        {"scsi0", "local-lvm:32,iothread=1,discard=on"},
        {"efidisk0", "local-lvm:1,efitype=4m,pre-enrolled-keys=1"},
        {"tpmstate0", "local-lvm:1,version=v2.0"},
        {"ide2", "local:iso/debian-12.iso,media=cdrom"},
        {"net0", "virtio,bridge=vmbr0"},
        {"boot", "order=scsi0;ide2;net0"},
        {"agent", "1"},
    };
    EXPECT_EQ(*p, expected);
}

TEST(ProxmoxQemuCreateParams, OlderWindowsGetsUefiButNoTpm)
{
    auto p = qemuCreateParams(specWith({{"os_type", S("win10")}}), build(), QemuLimits{});
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_TRUE(hasKey(*p, "efidisk0"));
    EXPECT_FALSE(hasKey(*p, "tpmstate0"));
}

TEST(ProxmoxQemuCreateParams, TheVirtioIsoIsForWindowsOnly)
{
    QemuBuild b = build();
    b.virtioVolid = "local:iso/virtio-win-0.1.262.iso";
    auto p = qemuCreateParams(specWith(), b, QemuLimits{});
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_FALSE(hasKey(*p, "ide0"));
}

TEST(ProxmoxQemuCreateParams, SpecKeysOverrideTheDefaults)
{
    auto spec = specWith({{"os_type", S("l26")},
                          {"bios", S("ovmf")},
                          {"machine", S("q35")},
                          {"cpu_type", S("host")},
                          {"scsihw", S("virtio-scsi-pci")},
                          {"vga", S("serial0")},
                          {"boot", S("order=ide2;scsi0")},
                          {"agent", B(false)},
                          {"tablet", B(false)},
                          {"onboot", B(true)}});
    spec.memoryMax = 4 * kGiB + 1;  // a ceiling: rounded down
    spec.diskMax = 20 * kGiB + 1;   // rounded up to whole GiB
    auto p = qemuCreateParams(spec, build(), QemuLimits{});
    ASSERT_TRUE(p) << p.error().message;
    const Params expected{
        {"vmid", "120"},
        {"name", "web1"},
        {"ostype", "l26"},
        {"bios", "ovmf"},
        {"machine", "q35"},
        {"cpu", "host"},
        {"sockets", "1"},
        {"cores", "2"},
        {"memory", "4096"},
        {"scsihw", "virtio-scsi-pci"},
        {"scsi0", "local-lvm:21,discard=on"},
        {"efidisk0", "local-lvm:1,efitype=4m,pre-enrolled-keys=1"},
        {"ide2", "local:iso/debian-12.iso,media=cdrom"},
        {"net0", "virtio,bridge=vmbr0"},
        {"boot", "order=ide2;scsi0"},
        {"agent", "0"},
        {"tablet", "0"},
        {"onboot", "1"},
        {"vga", "serial0"},
    };
    EXPECT_EQ(*p, expected);
}

TEST(ProxmoxQemuCreateParams, NeverStartsTheVm)
{
    for (const char* os : {"l26", "win11", "win10", "other"}) {
        auto p = qemuCreateParams(specWith({{"os_type", S(os)}}), build(), QemuLimits{});
        ASSERT_TRUE(p) << os << ": " << p.error().message;
        EXPECT_FALSE(hasKey(*p, "start")) << os;
    }
}

TEST(ProxmoxQemuCreateParams, BootOrderNamesOnlyDevicesTheVmHas)
{
    expectError(qemuCreateParams(specWith({{"boot", S("order=virtio0;ide2")}}), build(), QemuLimits{}),
                ErrorCode::InvalidArgs, "names 'virtio0', a device this VM does not have (it has scsi0, ide2, net0)");
    // ide0 is the VirtIO ISO of a Windows VM only.
    expectError(qemuCreateParams(specWith({{"boot", S("order=scsi0;ide0")}}), build(), QemuLimits{}),
                ErrorCode::InvalidArgs, "spec key 'boot'");
    QemuBuild b = build();
    b.virtioVolid = "local:iso/virtio-win-0.1.262.iso";
    auto win = qemuCreateParams(specWith({{"os_type", S("win11")}, {"boot", S("order=scsi0;ide0")}}), b, QemuLimits{});
    ASSERT_TRUE(win) << win.error().message;
    auto legacy = qemuCreateParams(specWith({{"boot", S("cdn")}}), build(), QemuLimits{});
    ASSERT_TRUE(legacy) << legacy.error().message;
    EXPECT_TRUE(std::ranges::find(*legacy, std::pair<std::string, std::string>{"boot", "cdn"}) != legacy->end());
}

TEST(ProxmoxQemuCreateParams, ABridgeOrStorageWithACommaIsRefused)
{
    QemuBuild b = build();
    b.bridge = "vmbr0,tag=5";
    expectError(qemuCreateParams(specWith(), b, QemuLimits{}), ErrorCode::InvalidArgs,
                "net0: bridge='vmbr0,tag=5' is not a bridge name");
    b = build();
    b.storage = "local-lvm,iothread=0";
    expectError(qemuCreateParams(specWith(), b, QemuLimits{}), ErrorCode::InvalidArgs,
                "storage 'local-lvm,iothread=0' is not a Proxmox storage ID");
    b = build();
    b.isoVolid = "local:iso/x.iso,media=disk";
    expectError(qemuCreateParams(specWith(), b, QemuLimits{}), ErrorCode::InvalidArgs, "ide2: ");
    b = build();
    b.virtioVolid = "local:iso/virtio,win.iso";
    expectError(qemuCreateParams(specWith({{"os_type", S("win11")}}), b, QemuLimits{}), ErrorCode::InvalidArgs,
                "ide0: ");
}

TEST(ProxmoxQemuCreateParams, ValuesTheSchemaWouldRefuse)
{
    QemuBuild b = build();
    b.name = "web-";  // a machine name, but not a DNS name
    expectError(qemuCreateParams(specWith(), b, QemuLimits{}), ErrorCode::InvalidArgs, "name 'web-' is not a DNS name");
    b = build();
    b.vmid = 99;
    expectError(qemuCreateParams(specWith(), b, QemuLimits{}), ErrorCode::InvalidArgs,
                "vmid 99 is out of range: accepted 100-999999999");
    b = build();
    b.storage = "x";  // storage IDs have at least two characters
    expectError(qemuCreateParams(specWith(), b, QemuLimits{}), ErrorCode::InvalidArgs, "storage 'x'");
    b = build();
    b.isoVolid = "local:vztmpl/debian-12.tar.zst";
    expectError(qemuCreateParams(specWith(), b, QemuLimits{}), ErrorCode::InvalidArgs, "is not an ISO volume");
    b = build();
    b.isoVolid.clear();
    expectError(qemuCreateParams(specWith(), b, QemuLimits{}), ErrorCode::InvalidArgs, "spec key 'iso' is needed");
    expectError(qemuCreateParams(specWith({{"cpu_type", S("custom,flags=+aes")}}), build(), QemuLimits{}),
                ErrorCode::InvalidArgs, "spec key 'cpu_type'");
}

TEST(ProxmoxQemuRanges, OutOfRangeNamesTheKeyAndTheRange)
{
    core::MachineSpec spec;
    spec.cores = 65;
    expectError(checkQemuRanges(spec, QemuLimits{}), ErrorCode::InvalidArgs,
                "spec key 'cores' = 65 is out of range: accepted 1-64 ([Limits] VMCores)");
    spec = {};
    spec.memoryMax = 128 * kGiB;
    expectError(checkQemuRanges(spec, QemuLimits{}), ErrorCode::InvalidArgs,
                "spec key 'memory_max' = 137438953472 bytes (128G) is out of range: accepted 536870912-68719476736 "
                "bytes (512M-64G, [Limits] VMMemory)");
    spec = {};
    spec.diskMax = 4 * kGiB;
    expectError(checkQemuRanges(spec, QemuLimits{}), ErrorCode::InvalidArgs,
                "spec key 'disk_max' = 4294967296 bytes (4G)");
    expectError(qemuCreateParams(spec, build(), QemuLimits{}), ErrorCode::InvalidArgs, "[Limits] VMDisk");
    spec = {};
    spec.cores = 64;
    spec.memoryMax = 512 * kMiB;
    spec.diskMax = 2ull << 40;
    EXPECT_TRUE(checkQemuRanges(spec, QemuLimits{}));
}

TEST(ProxmoxQemuRanges, DefaultsMoveIntoTheLimits)
{
    EXPECT_EQ(qemuSize({}, QemuLimits{}).cores, 2u);
    EXPECT_EQ(qemuSize({}, QemuLimits{}).memoryMiB, 2048u);
    EXPECT_EQ(qemuSize({}, QemuLimits{}).diskGiB, 32u);
    QemuLimits big;
    big.coresMin = 4;
    big.memoryMin = 4 * kGiB;
    big.diskMin = 40 * kGiB;
    const QemuSize s = qemuSize({}, big);
    EXPECT_EQ(s.cores, 4u);
    EXPECT_EQ(s.memoryMiB, 4096u);
    EXPECT_EQ(s.diskGiB, 40u);
}

const std::vector<IsoVolume> kIsos{
    {"pve1", "local", "local:iso/debian-12.iso", 600 * kMiB},
    {"pve1", "local", "local:iso/virtio-win-0.1.96.iso", 300 * kMiB},
    {"pve1", "local", "local:iso/virtio-win-0.1.262.iso", 700 * kMiB},
    {"pve1", "local", "local:iso/virtio-win.iso", 700 * kMiB},
    {"pve2", "nfs-iso", "nfs-iso:iso/debian-12.iso", 600 * kMiB},
    {"pve2", "local", "local:iso/debian-12.iso", 600 * kMiB},
    {"pve2", "local", "local:iso/virtio-win-0.1.271.iso", 700 * kMiB},
    {"pve3", "nfs-iso", "nfs-iso:iso/debian-12.iso", 600 * kMiB},
};

std::vector<std::string> whereOf(const std::vector<IsoVolume>& isos)
{
    std::vector<std::string> nodes;
    for (const auto& i : isos)
        nodes.push_back(i.node + "/" + i.volid);
    return nodes;
}

TEST(ProxmoxQemuIso, FoundByVolidOrByBareFileName)
{
    auto byVolid = findIso("iso", "nfs-iso:iso/debian-12.iso", kIsos);
    ASSERT_TRUE(byVolid) << byVolid.error().message;
    EXPECT_EQ(whereOf(*byVolid),
              (std::vector<std::string>{"pve2/nfs-iso:iso/debian-12.iso", "pve3/nfs-iso:iso/debian-12.iso"}));
    // Each node once, with the first storage listed for it.
    auto byName = findIso("iso", "debian-12.iso", kIsos);
    ASSERT_TRUE(byName) << byName.error().message;
    EXPECT_EQ(whereOf(*byName), (std::vector<std::string>{"pve1/local:iso/debian-12.iso",
                                                          "pve2/nfs-iso:iso/debian-12.iso",
                                                          "pve3/nfs-iso:iso/debian-12.iso"}));
}

TEST(ProxmoxQemuIso, AnIsoOnNoNodeIsNoSuchImage)
{
    expectError(findIso("iso", "ubuntu-24.04.iso", kIsos), ErrorCode::NoSuchImage,
                "spec key 'iso': no node has the ISO 'ubuntu-24.04.iso'");
    expectError(findIso("iso", "local:iso/ubuntu-24.04.iso", kIsos), ErrorCode::NoSuchImage,
                "'local:iso/ubuntu-24.04.iso'");
}

TEST(ProxmoxQemuIso, AReferenceOfNeitherFormIsInvalidArgs)
{
    for (const char* ref : {"debian-12", "local:vztmpl/debian-12.tar.zst", "iso/debian-12.iso", "local:iso/a/b.iso",
                            ":iso/x.iso", ".iso", "l:iso/x.iso"})
        expectError(findIso("virtio_iso", ref, kIsos), ErrorCode::InvalidArgs, "spec key 'virtio_iso' = '");
}

TEST(ProxmoxQemuIso, TheNewestVirtioIsoOfTheNode)
{
    auto pve1 = findVirtioIso(std::nullopt, "pve1", kIsos);
    ASSERT_TRUE(pve1 && *pve1);
    EXPECT_EQ((*pve1)->volid, "local:iso/virtio-win-0.1.262.iso");  // not 0.1.96, nor pve2's 0.1.271
    auto pve3 = findVirtioIso(std::nullopt, "pve3", kIsos);
    ASSERT_TRUE(pve3);
    EXPECT_FALSE(*pve3);
}

TEST(ProxmoxQemuIso, AWantedVirtioIsoMustBeOnTheNode)
{
    auto given = findVirtioIso("virtio-win-0.1.96.iso", "pve1", kIsos);
    ASSERT_TRUE(given && *given);
    EXPECT_EQ((*given)->volid, "local:iso/virtio-win-0.1.96.iso");
    expectError(findVirtioIso("virtio-win-0.1.271.iso", "pve1", kIsos), ErrorCode::NoSuchImage,
                "the ISO 'virtio-win-0.1.271.iso' is not on node 'pve1' (only on 'pve2')");
    expectError(findVirtioIso("virtio-win-0.1.999.iso", "pve1", kIsos), ErrorCode::NoSuchImage, "no node has");
}

const std::vector<StorageInfo> kStorages{
    {"pve3", "local", "dir", {"iso", "vztmpl", "backup"}, false, true, 100 * kGiB, 90 * kGiB},
    {"pve3", "local-lvm", "lvmthin", {"images", "rootdir"}, false, true, 100 * kGiB, 12 * kGiB + 512 * kMiB},
    {"pve3", "ceph", "rbd", {"images"}, true, true, 1000 * kGiB, 400 * kGiB},
    {"pve3", "old", "lvm", {"images"}, false, false, 2000 * kGiB, 2000 * kGiB},
    {"pve1", "big", "zfspool", {"images"}, false, true, 9000 * kGiB, 9000 * kGiB},
};

TEST(ProxmoxQemuStorage, TheImagesStorageWithTheMostFreeSpace)
{
    auto s = pickVmStorage(std::nullopt, "pve3", 32 * kGiB, kStorages);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->storage, "ceph");
    expectError(pickVmStorage(std::nullopt, "pve3", 500 * kGiB, kStorages), ErrorCode::InvalidArgs,
                "no storage on node 'pve3' has room for the VM's disks: it needs 500.0 GiB, storage 'ceph' has the "
                "most free, 400.0 GiB");
    expectError(pickVmStorage(std::nullopt, "pve9", 32 * kGiB, kStorages), ErrorCode::InvalidArgs,
                "node 'pve9' has no active storage for VM disks");
}

TEST(ProxmoxQemuStorage, TheWantedStorageAndWhyItDoesNotFit)
{
    auto s = pickVmStorage("local-lvm", "pve3", 8 * kGiB, kStorages);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->storage, "local-lvm");
    expectError(pickVmStorage("local-lvm", "pve3", 32 * kGiB, kStorages), ErrorCode::InvalidArgs,
                "storage 'local-lvm' on node 'pve3' has 12.5 GiB free, the VM needs 32.0 GiB");
    expectError(pickVmStorage("big", "pve3", 32 * kGiB, kStorages), ErrorCode::InvalidArgs,
                "storage 'big' on node 'pve3' does not exist");
    expectError(pickVmStorage("old", "pve3", 32 * kGiB, kStorages), ErrorCode::InvalidArgs, "is not active");
    expectError(pickVmStorage("local", "pve3", 32 * kGiB, kStorages), ErrorCode::InvalidArgs,
                "does not hold VM disks (content 'images')");
    // The EFI and TPM state disks need room too.
    expectError(pickVmStorage("local-lvm", "pve3", 12 * kGiB + 508 * kMiB, kStorages), ErrorCode::InvalidArgs,
                "has 12.5 GiB free");
}

}  // namespace
}  // namespace zenith::drivers::proxmox
