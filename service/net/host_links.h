// The host's network links as the daemon's own network namespace has them.
// Asked of the kernel (an ioctl on a socket of that namespace), never read
// from /sys/class/net: sysfs shows the links of the namespace that mounted
// it, which is not the daemon's when it runs in a namespace of its own.
#pragma once

#include <string>

#include "core/error.h"

namespace zenith::net {

enum class LinkKind { Missing, Bridge, Other, Unknown };

// What the link `name` is (its driver, as `ethtool -i` reports it);
// Unknown when the kernel would not say (no socket, a refused ioctl).
LinkKind linkKind(const std::string& name);

// Whether a link of that name exists in this namespace.
bool linkExists(const std::string& name);

// Makes `link` a port of `bridge` and sets it up (what `ip link set LINK
// master BRIDGE up` does), through the bridge ioctls. BackendFailed naming
// the link, the bridge and the kernel's reason.
core::Result<void> attachToBridge(const std::string& link, const std::string& bridge);

}  // namespace zenith::net
