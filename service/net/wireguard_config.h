// A wg-quick(8) configuration as a caller sends it (the spec key
// wireguard_config), checked strictly before anything is created, and the
// canonical text the daemon writes to /etc/wireguard/wg0.conf in the machine.
//
// The grammar is what wg(8) and wg-quick(8) accept, narrowed so that every
// accepted text means one thing: '#' starts a comment, a line is a
// [Interface] or [Peer] header or "Key = Value"; headers, keys and keywords
// (off, auto, true, false) are matched case-insensitively, as wg(8) does,
// which is safe because the machine gets renderWireguardConfig's canonical
// spelling, never the caller's text. Choices where wg is looser:
//   - one [Interface], first; at least one [Peer]; at least one Address;
//   - list values (Address, DNS, AllowedIPs) are split on ',' only, an empty
//     entry is an error; the keys may repeat;
//   - Address keeps its host bits (10.0.0.2/24 is the tunnel address and
//     its subnet); AllowedIPs are masked to their network, as the kernel
//     stores them, and one prefix may be routed to one peer only;
//   - an address without a length gets /32 or /128;
//   - numbers are decimal without sign or leading zero; FwMark may also be
//     0x-hex or "off"; ListenPort 1..65535; MTU 576..65535 (1280.. with an
//     IPv6 Address); Table is off, auto or 1..4294967295 (no table names);
//   - Endpoint is IPv4:port, [IPv6]:port or hostname:port, port 1..65535
//     (no service names); DNS entries are IP addresses or search domains;
//     a hostname is LDH labels, at most 253 bytes, no trailing dot, and its
//     last label is not all digits (so "1.2.3" is no name);
//   - SaveConfig = true is refused (wg-quick would write the running state
//     back into the file); false is accepted and not rendered;
//   - keys are 44 base64 characters decoding to exactly 32 bytes, in the
//     canonical spelling (the unused low bits of the last digit are zero).
// Errors are InvalidArgs "wireguard_config: line N: ...". They never show a
// PrivateKey or PresharedKey value, nor any caller text that holds one or is
// part of one; other caller text is quoted (core::quoteForMessage).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/secret.h"

namespace zenith::net {

inline constexpr size_t kWireguardMaxConfigBytes = 64 * 1024;
inline constexpr size_t kWireguardMaxLineBytes = 4096;
inline constexpr size_t kWireguardMaxPeers = 64;
inline constexpr size_t kWireguardMaxAllowedIps = 256;  // over all peers
inline constexpr size_t kWireguardMaxAddresses = 16;
inline constexpr size_t kWireguardMaxDns = 16;
inline constexpr size_t kWireguardMaxHooks = 16;
inline constexpr size_t kWireguardMaxHookBytes = 1024;  // one hook's command

// PreUp, PostUp, PreDown or PostDown: wg-quick runs the command through bash,
// as root, in the machine.
struct WireguardHook {
    std::string key;      // canonical key name
    std::string command;  // as given, without its comment and outer blanks
};

struct WireguardPeer {
    std::string publicKey;                     // base64, validated
    std::optional<core::Secret> presharedKey;  // base64, validated
    std::vector<std::string> allowedIps;       // canonical CIDR, masked
    std::optional<std::string> endpoint;       // "1.2.3.4:51820", "[2001:db8::1]:51820", "vpn.example:51820"
    std::optional<unsigned> persistentKeepalive;  // seconds; "off" is 0
};

struct WireguardConfig {
    core::Secret privateKey;                // base64, validated
    std::vector<std::string> addresses;     // canonical CIDR, host bits kept
    std::optional<uint16_t> listenPort;
    std::optional<uint32_t> fwMark;         // "off" is 0
    std::vector<std::string> dns;           // canonical IP addresses and search domains, in order
    std::optional<unsigned> mtu;
    std::optional<std::string> table;       // "off", "auto" or a decimal number
    std::vector<WireguardHook> hooks;       // in file order
    std::vector<WireguardPeer> peers;       // at least one
};

struct WireguardRules {
    // Hook keys run caller-chosen shell commands as root in the machine.
    bool allowHooks = false;
};

core::Result<WireguardConfig> parseWireguardConfig(std::string_view text, const WireguardRules& rules);

// The canonical wg-quick text of `config` (what goes to wg0.conf): fixed key
// spelling and order, long lists split over several lines. It holds the
// private key, hence a Secret. parseWireguardConfig accepts it (with hooks
// allowed when it has any) and gives `config` back.
core::Secret renderWireguardConfig(const WireguardConfig& config);

}  // namespace zenith::net
