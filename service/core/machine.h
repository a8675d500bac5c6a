// The registry's view of one machine.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zenith::core {

enum class MachineState { Creating, Stopped, Starting, Running, Stopping, Destroying, Template, Failed };

std::string_view toString(MachineState s);
std::optional<MachineState> machineStateFromString(std::string_view s);

struct MachineRecord {
    std::string name;
    std::string backend;         // nspawn | proxmox-lxc | proxmox-qemu
    std::string kind;            // container | vm
    MachineState state = MachineState::Creating;
    std::string distro, release, arch;
    std::vector<std::string> addresses;
    uint32_t cpuQuota = 0;
    uint64_t memoryMax = 0;
    std::string node;
    uint32_t vmid = 0;
    uint32_t createdByUid = 0;
    std::string specJson;        // core::specToJson of the spec it was made from (no secrets)
    std::string location;        // backend-specific: rootfs dir for nspawn
    // First host uid of the machine's user namespace (tenant root), 0 when
    // it has none (a VM, a container made before user namespaces).
    uint32_t uidShift = 0;
    // Facts the driver checkpointed while making or changing the machine
    // (a remote guest's vmid, node, task id): what start-up recovery hands
    // back to the driver to roll a half-made machine back.
    std::map<std::string, std::string> checkpoints;
    // "ssh-ed25519 SHA256:..." of the host keys made for it (nspawn), for
    // the panel to show its customer.
    std::vector<std::string> sshHostKeys;
    // Stable, never reused: the panel finds the machine's traffic by its
    // host link (nspawn: vi<number>). 0 only before it is registered.
    uint32_t number = 0;
    std::string bridge;    // the bridge its link is a port of, "" for none
    std::string hostLink;  // its link on the host side ("vi42"), "" for none

    std::string primaryAddress() const { return addresses.empty() ? std::string() : addresses.front(); }
};

}  // namespace zenith::core
