// The proxmox-lxc and proxmox-qemu drivers for the clusters of the config
// ([Proxmox.NAME]): one API client per cluster (libcurl, TLS verified by the
// pinned fingerprint or the CA file), the token secret read from its
// root-only file, one refresher shared by both drivers.
#pragma once

#include <memory>
#include <vector>

#include "core/config.h"
#include "core/error.h"
#include "drivers/driver.h"

namespace zenith::drivers::proxmox {

// None when no cluster is configured. InvalidArgs / BackendUnavailable
// naming the cluster and file when a token secret file is not fit to use.
core::Result<std::vector<std::unique_ptr<Driver>>> makeProxmoxDrivers(const core::Config& config);

}  // namespace zenith::drivers::proxmox
