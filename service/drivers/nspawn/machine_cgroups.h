// A machine's own cgroups where the daemon supervises systemd-nspawn itself
// (no systemd to make a scope for it). They are what makes the limits real
// (cpu_quota, memory_max), and what a container in a user namespace needs:
// its systemd must be able to write its cgroup, which nspawn delegates to
// the container's root only when the cgroup is not the host's root one.
//
// One directory `zenith-machine-NAME` under the daemon's own cgroup in each
// hierarchy that matters: the unified (v2) one and name=systemd, plus the
// v1 cpu, memory and pids controllers on a legacy or hybrid host. nspawn
// starts inside them (it writes itself into cgroup.procs before its exec).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "drivers/nspawn/machine_runner.h"

namespace zenith::drivers::nspawn {

// One mounted hierarchy the daemon is in.
struct CgroupHierarchy {
    std::string mountPoint;               // /sys/fs/cgroup/memory
    std::string ownPath;                  // the daemon's cgroup in it, "/" or "/a/b"
    bool unified = false;                 // cgroup2
    std::vector<std::string> controllers; // v1: "cpu", "cpuacct", "name=systemd"...; v2: enabled in ownPath's subtree
};

// Parses /proc/self/cgroup and /proc/self/mountinfo.
std::vector<CgroupHierarchy> parseCgroupHierarchies(std::string_view procSelfCgroup, std::string_view mountinfo);

struct CgroupLimits {
    uint32_t cpuQuota = 0;   // percent of one CPU, 0: none
    uint64_t memoryMax = 0;  // bytes, 0: none
};

class MachineCgroups {
public:
    // The daemon's own hierarchies (reads /proc/self/*).
    static MachineCgroups forThisProcess();
    explicit MachineCgroups(std::vector<CgroupHierarchy> hierarchies);

    // What this host lets the daemon enforce for a supervised machine.
    LimitSupport support() const;

    // Makes the machine's cgroups (a leftover of an earlier run is reused)
    // with `limits` written; returns the cgroup.procs files to join. A limit
    // that cannot be set is an error, never ignored.
    core::Result<std::vector<std::string>> create(const std::string& machine, const CgroupLimits& limits) const;
    // Removes them (deepest first: the container's systemd made its own
    // below). Missing ones are fine; one still holding processes is an error.
    core::Result<void> remove(const std::string& machine) const;

    // The machine's directory in each hierarchy (for tests and diagnostics).
    std::vector<std::string> directories(const std::string& machine) const;

private:
    struct Target {
        const CgroupHierarchy* hierarchy;
        std::string dir;
    };
    std::vector<Target> targets(const std::string& machine) const;
    const CgroupHierarchy* find(std::string_view controller) const;  // v1 hierarchy with it
    const CgroupHierarchy* unified() const;

    std::vector<CgroupHierarchy> hierarchies_;
};

}  // namespace zenith::drivers::nspawn
