#include "core/inet.h"

#include <arpa/inet.h>

#include <charconv>
#include <string>

namespace zenith::core {

namespace {

std::optional<unsigned> parsePrefixLength(std::string_view text, unsigned max)
{
    if (text.empty() || text.size() > 3 || (text.size() > 1 && text.front() == '0'))
        return std::nullopt;
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value > max)
        return std::nullopt;
    return value;
}

}  // namespace

std::optional<uint32_t> parseIpv4(std::string_view text)
{
    if (text.size() > INET_ADDRSTRLEN)
        return std::nullopt;
    std::string copy(text);  // inet_pton needs a NUL-terminated string
    in_addr addr{};
    if (inet_pton(AF_INET, copy.c_str(), &addr) != 1)
        return std::nullopt;
    return ntohl(addr.s_addr);
}

std::optional<Ipv4Prefix> parseIpv4Prefix(std::string_view text)
{
    auto slash = text.find('/');
    if (slash == std::string_view::npos)
        return std::nullopt;
    auto addr = parseIpv4(text.substr(0, slash));
    auto len = parsePrefixLength(text.substr(slash + 1), 32);
    if (!addr || !len)
        return std::nullopt;
    return Ipv4Prefix{*addr, *len};
}

bool isIpv6(std::string_view text)
{
    if (text.size() >= INET6_ADDRSTRLEN)
        return false;
    std::string copy(text);
    in6_addr addr{};
    return inet_pton(AF_INET6, copy.c_str(), &addr) == 1;
}

std::optional<Ipv6Address> parseIpv6(std::string_view text)
{
    if (text.size() >= INET6_ADDRSTRLEN)
        return std::nullopt;
    std::string copy(text);
    in6_addr addr{};
    if (inet_pton(AF_INET6, copy.c_str(), &addr) != 1)
        return std::nullopt;
    Ipv6Address out = 0;
    for (uint8_t byte : addr.s6_addr)
        out = out << 8 | byte;
    return out;
}

std::optional<Ipv6Prefix> parseIpv6Prefix(std::string_view text)
{
    auto slash = text.find('/');
    if (slash == std::string_view::npos)
        return std::nullopt;
    auto addr = parseIpv6(text.substr(0, slash));
    auto len = parsePrefixLength(text.substr(slash + 1), 128);
    if (!addr || !len)
        return std::nullopt;
    return Ipv6Prefix{*addr, *len};
}

Ipv6Address ipv6Netmask(unsigned length)
{
    return length == 0 ? 0 : ~Ipv6Address{0} << (128 - length);
}

std::string formatIpv6(Ipv6Address address)
{
    in6_addr addr{};
    for (int i = 15; i >= 0; --i, address >>= 8)
        addr.s6_addr[i] = static_cast<uint8_t>(address & 0xff);
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(AF_INET6, &addr, buf, sizeof buf);
    return buf;
}

bool isIpv6WithOptionalPrefix(std::string_view text)
{
    auto slash = text.find('/');
    if (slash == std::string_view::npos)
        return isIpv6(text);
    return isIpv6(text.substr(0, slash)) && parsePrefixLength(text.substr(slash + 1), 128).has_value();
}

bool isIpAddress(std::string_view text)
{
    return parseIpv4(text).has_value() || isIpv6(text);
}

uint32_t ipv4Netmask(unsigned length)
{
    return length == 0 ? 0 : ~uint32_t{0} << (32 - length);
}

std::string formatIpv4(uint32_t address)
{
    in_addr addr{htonl(address)};
    char buf[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &addr, buf, sizeof buf);
    return buf;
}

bool isInterfaceName(std::string_view text)
{
    // IFNAMSIZ is 16 including the NUL; '/' and whitespace are refused by the kernel.
    if (text.empty() || text.size() > 15 || text == "." || text == "..")
        return false;
    for (unsigned char c : text)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.'))
            return false;
    return true;
}

}  // namespace zenith::core
