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

struct StaticNetwork {
    std::string address;   // a.b.c.d/len
    std::string gateway;
    std::vector<std::string> dns;
    std::string ipv6;      // "" : none
    std::string gateway6;  // "" : none (or the router's advertisement)
};
// Where the machine's systemd-networkd config for host0 goes.
inline constexpr std::string_view kNetworkdFile = "etc/systemd/network/10-zenith-host0.network";
// Trees configured by earlier versions have their networkd file where
// systemd's own 80-container-host0.network wins over it: moved to
// kNetworkdFile (at each start; nothing to do once it is there).
core::Result<void> moveLegacyNetworkdFile(const std::string& rootfs);
// systemd-networkd config for the container's host0 veth.
std::string renderNetworkdConfig(const StaticNetwork& n);
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
