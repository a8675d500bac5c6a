// The host's network links as the daemon's own network namespace has them.
// Asked of the kernel (an ioctl on a socket of that namespace), never read
// from /sys/class/net: sysfs shows the links of the namespace that mounted
// it, which is not the daemon's when it runs in a namespace of its own.
#pragma once

#include <string>

namespace zenith::net {

enum class LinkKind { Missing, Bridge, Other, Unknown };

// What the link `name` is (its driver, as `ethtool -i` reports it);
// Unknown when the kernel would not say (no socket, a refused ioctl).
LinkKind linkKind(const std::string& name);

}  // namespace zenith::net
