// The spec keys the Proxmox backends register (Driver::specKeys()): the
// common spec knows nothing of nodes, vmids or ISOs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/spec_key.h"

namespace zenith::drivers::proxmox {

// proxmox-lxc: cluster (of [Proxmox.NAME]; default: the first), node, vmid, storage, last_octet (of an address in the pool),
// ostemplate, unprivileged, nesting, full_clone.
core::SpecKeyRules lxcSpecKeys();
// proxmox-qemu: cluster, node, vmid, storage, iso, os_type, bios, virtio_iso,
// cpu_type, machine, vga, scsihw, boot, agent, tablet, onboot,
// make_template, full_clone.
core::SpecKeyRules qemuSpecKeys();

// `os_type` as Proxmox names it (`l26`, `win11`, ...), from either its own
// values or the original VM builder's (ubuntu, debian, centos, rocky, alma:
// l26; windows: win11); nullopt for neither.
std::optional<std::string> proxmoxOsType(std::string_view osType);
bool isWindowsOsType(std::string_view proxmoxOsType);

}  // namespace zenith::drivers::proxmox
