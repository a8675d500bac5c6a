// Address syntax shared by spec validation and the config parser. Parsing is
// inet_pton's (strict dotted quad, no leading zeros in glibc).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace zenith::core {

struct Ipv4Prefix {
    uint32_t address = 0;  // host byte order
    unsigned length = 0;
};

// An IPv6 address as one number (the first byte most significant), so that
// pool arithmetic is the same as for IPv4.
using Ipv6Address = unsigned __int128;

struct Ipv6Prefix {
    Ipv6Address address = 0;
    unsigned length = 0;
};

std::optional<uint32_t> parseIpv4(std::string_view text);                 // host byte order
std::optional<Ipv4Prefix> parseIpv4Prefix(std::string_view text);        // "a.b.c.d/len", len 0..32
bool isIpv6(std::string_view text);
std::optional<Ipv6Address> parseIpv6(std::string_view text);
std::optional<Ipv6Prefix> parseIpv6Prefix(std::string_view text);     // "addr/len", len 0..128
Ipv6Address ipv6Netmask(unsigned length);
std::string formatIpv6(Ipv6Address address);                           // RFC 5952 (inet_ntop)
bool isIpv6WithOptionalPrefix(std::string_view text);                      // "addr" or "addr/0..128"
bool isIpAddress(std::string_view text);                                   // v4 or v6
uint32_t ipv4Netmask(unsigned length);
std::string formatIpv4(uint32_t address);
// A Linux network interface name: 1-15 bytes from [A-Za-z0-9._-], not "." or "..".
bool isInterfaceName(std::string_view text);

}  // namespace zenith::core
