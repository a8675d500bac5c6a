// The bare-systemd-nspawn peer: the same boot the daemon starts (a fresh
// btrfs snapshot of the cached image, user namespace with an idmapped
// mount, private network, in cgroups of its own, until the container's
// systemd sends READY=1), with no daemon, bus, job or settings file around
// it. Beside the daemon's create-to-running row it shows what the daemon
// adds, whatever the machine's speed that day.
#pragma once

#include <string>

#include "scenario_options.h"

namespace zenith::bench {

struct NspawnPeerSetup {
    std::string image;       // the cached image (a btrfs subvolume)
    std::string dir;         // where the snapshots go (same filesystem)
    std::string notifyPath;  // systemd-nspawn's own $NOTIFY_SOCKET
};

// Snapshot + systemd-nspawn --boot until READY=1 ("create-to-running"),
// then SIGTERM to nspawn (a clean poweroff) + subvolume delete
// ("destroy-running").
void nspawnCreateToRunning(const ScenarioOptions& o, const NspawnPeerSetup& setup);

}  // namespace zenith::bench
