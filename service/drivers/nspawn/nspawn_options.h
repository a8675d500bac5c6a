// How the nspawn backend is set up: directories and the [Nspawn] config.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/config.h"

namespace zenith::drivers::nspawn {

struct NspawnOptions {
    std::string stateDir = "/var/lib/zenith";        // images/, run/, templates/ live here
    std::string machinesDir = "/var/lib/machines";   // <name>/ (and <name>.nspawn, see settingsDir)
    // Where <name>.nspawn goes; empty: next to the machine in machinesDir
    // (the supervised runner passes --settings=trusted). On a systemd host
    // /etc/systemd/nspawn, the only place systemd-nspawn@.service takes
    // privileged settings (Bridge=, Port=) from.
    std::string settingsDir;
    std::string debianMirror;       // DebianMirror=; empty: from the host's apt sources
    std::string ubuntuMirror;       // UbuntuMirror= (amd64)
    std::string ubuntuPortsMirror;  // UbuntuPortsMirror= (arm64)
    std::string bridge;             // Bridge=: default for new machines
    std::vector<std::string> bridges;  // Bridges=: others a machine may join
    std::string pool;               // Pool=: ipv4=auto / ipv6=auto without spec key pool
    // HostPorts=: what machines may publish; unset: 1024-65535 minus the
    // host's own listening ports (see core::Config).
    std::vector<core::PortRange> hostPorts;
    bool hostPortsSet = false;
    // Whether the host's kernel makes sit links (net/tunnel_support.h),
    // probed at start: ipv6_mode 6in4 needs them inside the machine.
    bool sitTunnels = false;
    // PrivateUsersOwnership=: how a machine's files get its user namespace's
    // ownership: auto (an idmapped mount where possible, else a chown at the
    // first boot), map or chown.
    std::string privateUsersOwnership = "auto";
    std::string aptDir = "/etc/apt";
    std::chrono::seconds startTimeout{90};
    std::chrono::seconds stopTimeout{30};
};

}  // namespace zenith::drivers::nspawn
