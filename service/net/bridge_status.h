// The bridges machines join, as the kernel of the daemon's own network
// namespace has them: state, addresses and ports (the panel's Network page).
// Asked over rtnetlink (libmnl): not from /sys/class/net (host_links.h says
// why) and not through ip(8), so the answer costs no child process on the
// bus loop.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace zenith::net {

struct BridgePort {
    std::string link;
    std::string state;  // as BridgeStatus::state
};

struct BridgeStatus {
    std::string name;
    // The kernel's operational state in lower case (up, down,
    // lowerlayerdown, dormant, testing, notpresent, unknown; a bridge without
    // a port that is up is not up), or "missing" (no such link) or
    // "not-a-bridge" (a link of another kind).
    std::string state;
    // "a.b.c.d/len" then "x::y/len", in the kernel's order; IPv6 link-local
    // addresses (fe80::/10, every link has one) are left out.
    std::vector<std::string> addresses;
    std::vector<BridgePort> ports;  // sorted by name
};

// One entry per name, in the order given. BackendFailed when netlink would
// not answer.
core::Result<std::vector<BridgeStatus>> bridgeStatus(const std::vector<std::string>& names);

}  // namespace zenith::net
