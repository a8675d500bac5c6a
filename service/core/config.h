// /etc/zenith/provisioner.conf: systemd-style INI. A missing file means all
// defaults; an unknown section or key, or a bad value, is an error naming
// file, line and key.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/spec.h"

namespace zenith::core {

// A pool may have an IPv4 part, an IPv6 part or both: Subnet=, Gateway= and
// Range= take one value of each family (the address says which).
struct AddressPool {
    std::string name;
    std::string subnet;   // 10.1.10.0/24 ("" : no IPv4 part)
    std::string gateway;
    std::vector<std::string> dns;
    std::string rangeFirst, rangeLast;
    std::string subnet6;  // 2001:db8:10::/64 ("" : no IPv6 part)
    std::string gateway6;
    std::string range6First, range6Last;
    // NAT=yes: what the pool's machines send out of its IPv4 subnet leaves
    // with the host's address (core/net/nat_rules.h). Off by default: a pool
    // of public addresses must keep them.
    bool nat = false;
};

struct ProxmoxCluster {
    std::string name;
    std::vector<std::string> urls;
    std::string tokenId;
    std::string tokenSecretFile;
    std::string fingerprint;
    std::string caFile;
    std::string pool;
    std::string bridge = "vmbr0";  // default bridge of new guests
    std::string storage;           // default storage of new guests' disks ("" picks)
    std::string backupStorage;     // default vzdump target ("" picks)
    uint32_t timeoutSec = 30;      // one HTTP request
    uint32_t taskTimeoutSec = 3600;  // one Proxmox task (clone, create, backup)
};

// How long the registry keeps history ([Daemon]): the newest entries up to
// a count, none older than an age. Anyone can make the daemon audit a
// refusal, so the audit trail is bounded like the job history.
struct Retention {
    uint64_t auditMaxEntries = 100000;
    uint64_t auditMaxAgeSec = 365 * 86400ull;
    uint64_t jobsMaxEntries = 10000;
    uint64_t jobsMaxAgeSec = 90 * 86400ull;
};

struct PortRange {
    uint16_t first = 0, last = 0;
    bool contains(uint16_t p) const { return p >= first && p <= last; }
    bool operator==(const PortRange&) const = default;
};

struct Config {
    uint32_t maxJobs = 4;
    // Jobs waiting for a slot beyond MaxJobs; more is LimitsExceeded.
    uint32_t maxQueuedJobs = 64;
    Retention retention;
    // On SIGTERM: how long running jobs get to stop and roll back before the
    // daemon leaves anyway (they are then recorded as failed).
    uint32_t stopTimeoutSec = 60;
    Limits limits;
    VmLimits vmLimits;
    std::string debianMirror;       // empty: from the host's apt sources
    std::string ubuntuMirror;       // empty: Ubuntu's archive (nspawn_spec.h)
    std::string ubuntuPortsMirror;
    std::string bridge;
    // Bridges= : the bridges a machine may join besides Bridge= (the default).
    std::vector<std::string> bridges;
    // [Nspawn] Pool= : the pool nspawn machines take ipv4=auto (and
    // ipv6=auto) from when their spec names none; "" none.
    std::string nspawnPool;
    // HostPorts= : host ports machines may publish. Unset: 1024-65535, and
    // never a port the host itself listens on; set: exactly these ranges
    // (the admin vouches for them, listening ports included).
    std::vector<PortRange> hostPorts;
    bool hostPortsSet = false;
    std::string privateUsersOwnership = "auto";  // auto | map | chown
    std::map<std::string, AddressPool> pools;
    std::map<std::string, ProxmoxCluster> proxmox;
};

// Parses INI text; `origin` names the file in error messages.
Result<Config> parseConfig(std::string_view text, std::string_view origin);
// Reads and parses; a missing file yields the defaults.
Result<Config> loadConfig(const std::string& path);

}  // namespace zenith::core
