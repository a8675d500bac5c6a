// What some backends can do and others cannot, each behind a small
// interface a driver hands out (Driver::imageCatalog(), ...) or not: the
// engine answers NotSupported, naming the backend, where a driver has none.
// In the spirit of Multipass's "not on this backend" factory defaults.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/machine.h"

namespace zenith::drivers {

struct ImageInfo {
    std::string id;        // e.g. "debian-bookworm-amd64"
    std::string kind;      // base | template | iso | vztmpl
    std::string location;  // path or storage volid
    uint64_t size = 0;     // bytes
};

// The images a backend offers (base images, templates, ISOs, container
// templates). Called on the bus loop: it answers from memory; a backend
// whose list is remote keeps it in a cache it refreshes off the loop.
class ImageCatalog {
public:
    virtual ~ImageCatalog() = default;
    virtual core::Result<std::vector<ImageInfo>> images() = 0;
};

// A guest a remote backend holds (a Proxmox cluster's containers or VMs),
// whether or not this daemon made it: the engine lists each as a machine,
// so a golden template made by hand can be cloned by name.
struct RemoteGuest {
    std::string location;  // the cluster
    std::string node;
    uint32_t vmid = 0;
    std::string name;      // the cluster's name for it; may be empty or not a valid machine name
    // nullopt while its node is offline: the last known state stands.
    std::optional<core::MachineState> state;
    uint32_t cores = 0;
    uint64_t memoryMax = 0;  // bytes
};

// The guests of a remote backend, reported after every refresh (off the bus
// loop, on the driver's thread).
class GuestInventory {
public:
    virtual ~GuestInventory() = default;
    // The whole list of one location, each time it was read. Set by the
    // engine once its machines are loaded; setting another (or an empty
    // one) waits for a call in progress to return.
    // `readAt`: when the reading began; a change a job made after it may
    // not show in the list yet.
    using Listener = std::function<void(const std::string& location, std::chrono::system_clock::time_point readAt,
                                        const std::vector<RemoteGuest>& guests)>;
    virtual void setInventoryListener(Listener listener) = 0;
    // A job changed something: read the cluster again soon.
    virtual void refreshSoon() = 0;
};

class JobContext;

// A backend's hosts and storages (a Proxmox cluster's nodes and storages),
// answered from what the driver last read (bus loop safe).
struct NodeInfo {
    std::string location;  // the cluster
    std::string node;
    std::string status;    // online | offline | unknown
    uint32_t cpus = 0;
    uint64_t memoryTotal = 0, memoryUsed = 0;  // bytes
    uint64_t uptime = 0;   // seconds
};
struct StorageSummary {
    std::string location, node, storage, type;
    std::vector<std::string> content;  // images, rootdir, iso, vztmpl, backup
    bool shared = false, active = false;
    uint64_t total = 0, avail = 0;     // bytes
};
// A machine's health as its backend last saw it.
struct MachineHealth {
    std::string status;    // running | stopped | unknown ...
    uint64_t uptime = 0;   // seconds
    double cpu = 0;        // load, 0..cpus
    uint32_t cpus = 0;
    uint64_t memory = 0, memoryMax = 0;  // bytes
    std::string lock;      // a task's lock on it (backup, clone, ...), "" for none
    uint64_t asOf = 0;     // unix time of the reading
};
class ClusterCatalog {
public:
    virtual ~ClusterCatalog() = default;
    virtual std::vector<NodeInfo> nodes() = 0;
    virtual std::vector<StorageSummary> storages() = 0;
    // NoSuchMachine when the backend does not list it (yet).
    virtual core::Result<MachineHealth> health(const core::MachineRecord& m) = 0;
};

// Backups of a machine (Proxmox vzdump to a backup storage).
struct BackupInfo {
    std::string volid, location, node, storage;
    uint64_t size = 0, ctime = 0;
    std::string notes;
};
struct BackupOptions {
    std::string storage;  // "" for the backend's default
    std::string mode;     // snapshot (default) | suspend | stop
};
class BackupCapability {
public:
    virtual ~BackupCapability() = default;
    // Runs as a job (progress, cancel); the new backup's volid when known.
    virtual core::Result<std::string> backup(const core::MachineRecord& m, const BackupOptions& options,
                                             JobContext& ctx) = 0;
    // From what the driver last read of the backup storages.
    virtual core::Result<std::vector<BackupInfo>> backups(const core::MachineRecord& m) = 0;
};

// NotSupported: "`what` is not available on backend `backend`".
std::unexpected<core::Error> notOnThisBackend(std::string_view backend, std::string_view what);

}  // namespace zenith::drivers
