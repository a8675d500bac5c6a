// The project's own nftables table (core/net/nat_rules.h), applied through
// libnftables in the caller's network namespace: one atomic transaction per
// change, nothing else of the host's ruleset read or touched.
#pragma once

#include <string>

#include "core/error.h"
#include "core/net/nat_rules.h"

namespace zenith::net {

// Runs an nft script (nft -f). BackendFailed with nft's own error text.
core::Result<void> runNftScript(const std::string& script);

// `nft list table inet zenith` as nft prints it; "" when there is none.
core::Result<std::string> listNatTable();

// Replaces the table with exactly `rules` (none: no table, and where there
// is none already nothing is changed). With any rule,
// IPv4 forwarding is switched on in this network namespace first
// (net.ipv4.ip_forward=1, as libvirt does for its NAT networks): forwarded
// and masqueraded packets cross the host. It is never switched off again:
// other things on the host may rely on it.
core::Result<void> applyNatRules(const core::NatRules& rules);

}  // namespace zenith::net
