// Plain data the client hands back: rows of the List* calls, a machine's
// properties, a job's status and its final result.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "zenith/client/error.h"
#include "zenith/client/spec.h"

namespace zenith::client {

// `flags` bits of the bus contract.
inline constexpr uint64_t kFlagForce = 1;    // destroy/stop a running machine
inline constexpr uint64_t kFlagNoStart = 2;  // create without starting
inline constexpr uint64_t kFlagDryRun = 4;   // validate + authorize only; the plan is the job's Message
// Extension, destroy only: back the machine up first (a backend with
// backups; NotSupported elsewhere); if the backup fails nothing is destroyed.
inline constexpr uint64_t kFlagBackupFirst = 8;

struct MachineSummary {  // one row of ListMachines
    std::string name, backend, state, address, path;
};

struct MachineInfo {  // every property of org.zenith.Provisioner.Machine
    std::string path;
    std::string name, backend, kind, state, distro, release, arch;
    std::vector<std::string> addresses;
    uint32_t cpuQuota = 0;
    uint64_t memoryMax = 0;
    std::string node;
    uint32_t vmid = 0;
    uint32_t createdByUid = 0;
    uint32_t uidShift = 0;  // host uid of the machine's root (its user namespace), 0 for none
    std::vector<std::string> sshHostKeys;  // "ssh-ed25519 SHA256:..." (SSHHostKeys)
    uint32_t number = 0;   // stable, never reused (Number)
    std::string bridge;    // the bridge its link is a port of (Bridge)
    std::string hostLink;  // that link on the host, "vi42" (HostLink)
    std::vector<PortForward> portForwards;  // (PortForwards)
};

struct ForwardInfo {  // one row of ListPortForwards (extension)
    std::string machine, proto;
    uint16_t hostPort = 0, machinePort = 0;
    std::string address;  // the machine's IPv4 address the forward leads to
};

struct JobSummary {  // one row of ListJobs
    uint32_t id = 0;
    std::string operation, machine, state;
    double progress = 0.0;
    std::string path;
};

struct ImageInfo {  // one row of ListImages
    std::string id, kind, location;
    uint64_t size = 0;
};

struct PoolInfo {  // one row of ListPools (extension)
    std::string name, subnet, gateway, range;
    std::vector<std::string> dns;
    uint32_t size = 0;    // addresses in the range
    uint32_t leased = 0;  // leases held
};

struct LeaseInfo {  // one row of ListLeases (extension)
    std::string address, machine;
};

struct BridgePortInfo {
    std::string link, state;
    std::string machine;  // whose HostLink it is; "" for none
};

struct BridgeInfo {  // one row of ListBridges (extension)
    std::string name;
    std::string state;  // up, down, ...; "missing", "not-a-bridge"
    std::vector<std::string> addresses;
    std::vector<BridgePortInfo> ports;
};

// A remote backend's hosts and storages, a machine's health and its
// backups (extension; NotSupported on a backend without them, e.g. nspawn).

struct NodeInfo {  // one row of ListNodes
    std::string cluster, node;
    std::string status;  // online | offline | unknown
    uint32_t cpus = 0;
    uint64_t memoryTotal = 0, memoryUsed = 0;  // bytes
    uint64_t uptime = 0;                       // seconds
};

struct StorageInfo {  // one row of ListStorages
    std::string cluster, node, storage, type;
    std::vector<std::string> content;  // images, rootdir, iso, vztmpl, backup
    bool shared = false, active = false;
    uint64_t total = 0, avail = 0;  // bytes
};

struct MachineHealth {  // GetHealth: as the backend last saw the machine
    std::string status;  // running | stopped | template | unknown
    uint64_t uptime = 0;  // seconds
    double cpu = 0;       // load, 0..cpus
    uint32_t cpus = 0;
    uint64_t memory = 0, memoryMax = 0;  // bytes
    std::string lock;     // a task's lock on it (backup, clone, ...), "" for none
    uint64_t asOf = 0;    // unix time of the reading
};

struct BackupInfo {  // one row of ListBackups, newest first
    std::string volid, cluster, node, storage;
    uint64_t size = 0;   // bytes
    uint64_t ctime = 0;  // unix time
    std::string notes;
};

struct BackupOptions {  // BackupMachine's options; empty: the daemon's default
    std::string storage;  // default: the configured backup storage, else the largest one
    std::string mode;     // snapshot (default) | suspend | stop
};

struct JobStatus {  // every property of org.zenith.Provisioner.Job
    uint32_t id = 0;
    std::string path;
    std::string operation, machine, state;
    double progress = 0.0;
    std::string step, message;
    uint32_t startedByUid = 0;
    bool cancelable = false;
    std::string errorName, errorMessage;

    bool finished() const { return state == "done" || state == "failed" || state == "cancelled"; }
};

struct JobProgress {
    double progress = 0.0;  // 0..1
    std::string step;       // machine-readable
    std::string message;    // human text
};

enum class JobOutcome { Done, Failed, Cancelled };

struct JobResult {
    uint32_t id = 0;
    std::string path;
    std::string operation, machine;
    JobOutcome outcome = JobOutcome::Done;
    std::string result;        // "done" | "failed" | "cancelled"
    std::string message;       // the job's last Message (a DRY_RUN plan lives here)
    std::string errorName;     // "" when done
    std::string errorMessage;
    ErrorKind errorKind = ErrorKind::Other;  // meaningful when errorName is set

    bool ok() const { return outcome == JobOutcome::Done; }
};

// Called on the waiting thread, in order, never with a decreasing progress.
using ProgressCallback = std::function<void(const JobProgress&)>;

}  // namespace zenith::client
