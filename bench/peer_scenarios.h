// The peers, each doing the same work as one of our operations, from the
// same image on the same device: classic LXC (lxc-copy -s, lxc-start,
// lxc-destroy -f), a raw `btrfs subvolume snapshot`, and `cp -a`.
#pragma once

#include <string>

#include "scenario_options.h"

namespace zenith::bench {

struct LxcSetup {
    std::string lxcpath;     // private -P directory: nothing touches /var/lib/lxc
    std::string base;        // a stopped btrfs-backed container on the cached image
    std::string notifyPath;  // host side of the container's $NOTIFY_SOCKET
};

// lxc-copy -s of the base container ("create-cached").
void lxcCreateCached(const ScenarioOptions& o, const LxcSetup& lxc);
// lxc-copy -s + lxc-start -d until the container's systemd sent READY=1
// ("create-to-running"; also when lxc-start returned), then lxc-destroy -f
// ("destroy-running").
void lxcCreateToRunning(const ScenarioOptions& o, const LxcSetup& lxc);
// lxc-copy -s of a stopped container made from the base ("clone").
void lxcClone(const ScenarioOptions& o, const LxcSetup& lxc);

// `btrfs subvolume snapshot SOURCE DIR/...` (op names the row it stands beside).
void snapshotRuns(const ScenarioOptions& o, const std::string& source, const std::string& dir, const std::string& op);
// `cp -a SOURCE DIR/...` ("create-cached" on a copying filesystem).
void copyRuns(const ScenarioOptions& o, const std::string& source, const std::string& dir);

}  // namespace zenith::bench
