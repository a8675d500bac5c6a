// A machine's identity inside its tree (hostname, hosts, machine-id, root
// password, SSH keys, static network) and its systemd-nspawn settings file.
// The render* functions are pure and unit-tested on exact text.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/spec_value.h"

namespace zenith::drivers::nspawn {

struct NspawnSettings {
    std::string hostname;
    std::string bridge;                     // "" : no bridge
    // The machine's user namespace: tenant ids 0..65535 are host ids
    // uidShift..uidShift+65535 (0: none, only for trees made before).
    uint32_t uidShift = 0;
    // How files get the range's ownership: map (an idmapped mount, nothing
    // on disk changes), chown (a recursive chown at the first boot), auto
    // (map where the kernel and file system can).
    std::string ownership = "auto";
    // Its host link (host_link.h); "" : systemd-nspawn's own veth, vb-NAME.
    std::string hostLink;
};
// <machines-dir>/<name>.nspawn, read by nspawn with --settings=trusted.
std::string renderNspawnSettings(const NspawnSettings& s);

// /etc/hosts: `existing` with the 127.0.1.1 line naming `hostname` (added
// when missing); Debian's default file when there is none.
std::string renderHosts(const std::optional<std::string>& existing, std::string_view hostname);

// ipv6_mode 6in4: a sit link inside the machine, its IPv6 address and the
// default IPv6 route on it.
struct SixInFour {
    std::string local;    // the machine's IPv4 address (no length)
    std::string remote;   // the tunnel broker's IPv4 address
    std::string address;  // IPv6, with its length (/64 when none was given)
};

struct StaticNetwork {
    std::string address;   // a.b.c.d/len
    std::string gateway;
    std::vector<std::string> dns;
    std::string ipv6;      // "" : none
    std::string gateway6;  // "" : none (or the router's advertisement)
    std::optional<SixInFour> tunnel;
};
// Where the machine's systemd-networkd config for host0 goes.
inline constexpr std::string_view kNetworkdFile = "etc/systemd/network/10-zenith-host0.network";
// Trees configured by earlier versions have their networkd file where
// systemd's own 80-container-host0.network wins over it: moved to
// kNetworkdFile (at each start; nothing to do once it is there).
core::Result<void> moveLegacyNetworkdFile(const std::string& rootfs);
// systemd-networkd config for the container's host0 veth.
std::string renderNetworkdConfig(const StaticNetwork& n);
// The sit link's name inside the machine and its networkd files.
inline constexpr std::string_view kSixInFourLink = "zenith6in4";
inline constexpr std::string_view kSixInFourNetdevFile = "etc/systemd/network/10-zenith-6in4.netdev";
inline constexpr std::string_view kSixInFourNetworkFile = "etc/systemd/network/10-zenith-6in4.network";
std::string renderSixInFourNetdev(const SixInFour& t);
std::string renderSixInFourNetwork(const SixInFour& t);
std::string renderResolvConf(const std::vector<std::string>& dns);
std::string renderAuthorizedKeys(const std::vector<std::string>& keys);

struct Identity {
    std::string hostname;
    std::optional<std::string> passwordHash;   // already hashed; nullopt keeps the current one
    std::optional<std::vector<std::string>> authorizedKeys;
    std::optional<StaticNetwork> network;
};

// Writes the identity into `rootfs` (never outside it) with a fresh random
// machine-id; the owner and mode of /etc/shadow are kept.
core::Result<void> applyIdentity(const std::string& rootfs, const Identity& id);

// Atomic write of the settings file, mode 0644.
core::Result<void> writeNspawnSettings(const std::string& path, const NspawnSettings& s);

}  // namespace zenith::drivers::nspawn
