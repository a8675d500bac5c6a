// The proxmox-qemu VM builder, the part without I/O: from a checked spec and
// the facts the driver read from the cluster (ISOs, storages, a free vmid) to
// the form of POST /nodes/{node}/qemu. Every value the server's schema
// constrains is checked here, so a bad one is InvalidArgs naming it before
// anything is sent, not a 400 in the middle of a job.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/spec.h"
#include "drivers/proxmox/client/api_client.h"
#include "drivers/proxmox/cluster_inventory.h"  // StorageInfo

namespace zenith::drivers::proxmox {

// Accepted ranges for VMs ([Limits] VMCores= VMMemory= VMDisk=), as the
// config reads them.
using QemuLimits = core::VmLimits;

// What the VM gets: the spec's values, or the defaults (2 cores, 2 GiB,
// 32 GiB) moved into the limits when an admin's limits exclude them.
struct QemuSize {
    uint32_t cores = 0;
    uint64_t memoryMiB = 0;  // rounded down: memory_max is a ceiling
    uint64_t diskGiB = 0;    // rounded up: an installer may need every byte asked for
};
QemuSize qemuSize(const core::MachineSpec& spec, const QemuLimits& limits);

// InvalidArgs naming the spec key (cores, memory_max, disk_max) and the
// accepted range when a given value is out of range.
core::Result<void> checkQemuRanges(const core::MachineSpec& spec, const QemuLimits& limits);

// Facts resolved by the driver (from the cluster's caches) before the create call.
struct QemuBuild {
    uint32_t vmid = 0;
    std::string name;         // the machine name -> `name`
    std::string isoVolid;     // "local:iso/debian-12.iso" on the target node
    std::string virtioVolid;  // "" when none was found (used for Windows only)
    std::string storage;      // images storage for scsi0, efidisk0 and tpmstate0
    std::string bridge;       // "vmbr0"
};

// The form of POST /nodes/{node}/qemu. Never `start`: the VM is left stopped
// for its installation from the console.
core::Result<Params> qemuCreateParams(const core::MachineSpec& spec, const QemuBuild& build, const QemuLimits& limits);

// An ISO as GET /nodes/{node}/storage/{storage}/content lists it.
struct IsoVolume {
    std::string node, storage, volid;
    uint64_t size = 0;
};

// `ref` is a volid "storage:iso/file.iso" or a bare file name "file.iso"
// (".img" too: Proxmox keeps both as ISO content). The entries holding it,
// one per node (the first listed for that node), in the order given;
// NoSuchImage naming the ISO when no node has it; InvalidArgs naming the
// spec key `key` (iso, virtio_iso) for a reference of neither form.
core::Result<std::vector<IsoVolume>> findIso(std::string_view key, std::string_view ref,
                                             const std::vector<IsoVolume>& isos);

// The VirtIO driver ISO for a Windows VM on `node`: `wanted` (spec key
// virtio_iso) if given, which must be on that node (else NoSuchImage); else
// the newest "virtio-win*.iso" there (0.1.262 is newer than 0.1.96); else nullopt.
core::Result<std::optional<IsoVolume>> findVirtioIso(const std::optional<std::string>& wanted, const std::string& node,
                                                     const std::vector<IsoVolume>& isos);

// The storage for the VM's disks on `node`, with room for `diskBytes` (the
// scsi0 size, qemuSize().diskGiB GiB) plus the 4 MiB EFI and 4 MiB TPM state
// disks: `wanted` (spec key storage), which must exist there, be active and
// hold images, or else the images storage with the most free space.
// InvalidArgs saying why none fits, with free space in GiB.
core::Result<StorageInfo> pickVmStorage(const std::optional<std::string>& wanted, const std::string& node,
                                        uint64_t diskBytes, const std::vector<StorageInfo>& storages);

}  // namespace zenith::drivers::proxmox
