// What the host's firewall does for the machines: port forwards (a host port
// to a machine's port) and outbound NAT for the pools that ask for it. All
// of it lives in one nftables table of the project's own, `inet zenith`,
// which the daemon replaces as a whole whenever it changes; nothing else in
// the host's ruleset is touched. Pure: the rules from the machines and the
// config, and the nft script; service/net/nft_table.h applies it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/machine.h"

namespace zenith::core {

inline constexpr const char* kNatTableFamily = "inet";
inline constexpr const char* kNatTableName = "zenith";

struct NatForward {
    std::string machine;
    std::string proto;        // tcp | udp
    uint16_t hostPort = 0;
    std::string address;      // the machine's IPv4 address, a.b.c.d
    uint16_t machinePort = 0;
    bool operator==(const NatForward&) const = default;
};

struct NatMasquerade {
    std::string pool;
    std::string subnet;  // a.b.c.d/len, the pool's IPv4 subnet
    bool operator==(const NatMasquerade&) const = default;
};

struct NatRules {
    std::vector<NatForward> forwards;       // sorted by proto and host port
    std::vector<NatMasquerade> masquerade;  // sorted by pool
    bool empty() const { return forwards.empty() && masquerade.empty(); }
    bool operator==(const NatRules&) const = default;
};

// The forwards a machine's spec asks for (an nspawn machine's `ports`;
// another backend's machine has none), and those the host holds for it:
// the same, but none for a template (it never runs).
std::vector<PortForward> configuredForwards(const MachineRecord& m);
std::vector<PortForward> forwardsOf(const MachineRecord& m);

// The forwards of every machine that holds some (forwardsOf) and has an
// IPv4 address (its first), and the IPv4 subnets of the pools with NAT=yes.
NatRules natRulesOf(const std::vector<MachineRecord>& machines, const Config& config);

// One nft script, applied atomically: the table is made (so that deleting
// it cannot fail), deleted, and made again with exactly `rules`; with no
// rules it is only deleted, so a host without forwards or NAT has no table
// of ours. Every forward is a DNAT for packets to one of the host's own
// addresses (fib daddr type local) - from outside (prerouting) and from the
// host itself (output) - and a masquerade rule rewrites what a NAT pool's
// machines send out of their subnet.
std::string renderNatScript(const NatRules& rules);

}  // namespace zenith::core
