// What a Proxmox cluster holds, as read from GET /cluster/resources (guests,
// nodes, storages in one answer) and each node's storage contents (ISOs,
// container templates). Parsed here, strictly: the answer comes from a
// server and names chosen by tenants (a guest's name) are escaped before
// they go anywhere.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/error.h"

namespace zenith::drivers::proxmox {

struct ClusterGuest {
    std::string type;    // lxc | qemu
    uint32_t vmid = 0;
    std::string node;
    std::string name;    // as the cluster has it (may be empty or anything a tenant chose)
    std::string status;  // running | stopped | unknown (its node is offline) | ...
    bool isTemplate = false;
    std::string lock;    // "" for none: create, clone, disk, backup, destroyed, ...
    uint32_t cpus = 0;
    uint64_t maxmem = 0, mem = 0, maxdisk = 0;
    uint64_t uptime = 0;
    double cpu = 0;      // load, 0..cpus
};

struct ClusterNode {
    std::string node;
    std::string status;  // online | offline | unknown
    uint32_t maxcpu = 0;
    uint64_t maxmem = 0, mem = 0;
    uint64_t uptime = 0;
};

struct StorageInfo {
    std::string node, storage, type;
    std::vector<std::string> content;  // images, rootdir, iso, vztmpl, backup
    bool shared = false, active = true;
    uint64_t total = 0, avail = 0;
    bool holds(std::string_view what) const;
};

// A file on a storage: an ISO, a container template or a backup.
struct StorageVolume {
    std::string node, storage, volid;
    std::string content;  // iso | vztmpl | backup
    uint64_t size = 0;
    uint64_t ctime = 0;
    uint32_t vmid = 0;    // backups: the guest's
    std::string notes;    // backups: their notes
};

struct ClusterResources {
    std::vector<ClusterGuest> guests;
    std::vector<ClusterNode> nodes;
    std::vector<StorageInfo> storages;
};

// BackendFailed when `data` is not an array; entries of an unknown type or
// without the fields that identify them are skipped.
core::Result<ClusterResources> parseClusterResources(const nlohmann::json& data);
// GET /nodes/{node}/storage/{storage}/content
core::Result<std::vector<StorageVolume>> parseStorageContent(const nlohmann::json& data, const std::string& node,
                                                             const std::string& storage);

const ClusterGuest* findGuest(const std::vector<ClusterGuest>& guests, uint32_t vmid);

}  // namespace zenith::drivers::proxmox
