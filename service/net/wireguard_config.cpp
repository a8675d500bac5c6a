#include "net/wireguard_config.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <map>

#include <fmt/format.h>

#include "core/inet.h"
#include "core/text_quote.h"

namespace zenith::net {

namespace {

constexpr auto npos = std::string_view::npos;

enum class Section { None, Interface, Peer };

// `repeats`: a list or hook key, which may come on several lines of a section.
struct KeyInfo {
    std::string_view name;
    Section section;
    bool repeats;
};

// Indexes into kKeys.
enum Key : size_t {
    kPrivateKey, kListenPort, kFwMark, kAddress, kDns, kMtu, kTable, kSaveConfig,
    kPreUp, kPostUp, kPreDown, kPostDown,
    kPublicKey, kPresharedKey, kAllowedIps, kEndpoint, kPersistentKeepalive,
};
constexpr std::array kKeys{
    KeyInfo{"PrivateKey", Section::Interface, false}, KeyInfo{"ListenPort", Section::Interface, false},
    KeyInfo{"FwMark", Section::Interface, false},     KeyInfo{"Address", Section::Interface, true},
    KeyInfo{"DNS", Section::Interface, true},         KeyInfo{"MTU", Section::Interface, false},
    KeyInfo{"Table", Section::Interface, false},      KeyInfo{"SaveConfig", Section::Interface, false},
    KeyInfo{"PreUp", Section::Interface, true},       KeyInfo{"PostUp", Section::Interface, true},
    KeyInfo{"PreDown", Section::Interface, true},     KeyInfo{"PostDown", Section::Interface, true},
    KeyInfo{"PublicKey", Section::Peer, false},       KeyInfo{"PresharedKey", Section::Peer, false},
    KeyInfo{"AllowedIPs", Section::Peer, true},       KeyInfo{"Endpoint", Section::Peer, false},
    KeyInfo{"PersistentKeepalive", Section::Peer, false},
};

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool equalsNoCase(std::string_view a, std::string_view b)
{
    return std::ranges::equal(a, b, [](char x, char y) { return lower(x) == lower(y); });
}

std::optional<Key> findKey(std::string_view name)
{
    for (size_t i = 0; i < kKeys.size(); ++i)
        if (equalsNoCase(name, kKeys[i].name))
            return static_cast<Key>(i);
    return std::nullopt;
}

std::string_view trim(std::string_view s)
{
    auto first = s.find_first_not_of(" \t");
    return first == npos ? std::string_view{} : s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

// What a line says: wg-quick drops everything from '#' on, then the blanks.
std::string_view content(std::string_view line) { return trim(line.substr(0, line.find('#'))); }

// Calls f(line, number) for each line (without "\n" or "\r\n") while it returns true.
template <typename F>
void forEachLine(std::string_view text, F f)
{
    for (size_t number = 1; !text.empty(); ++number) {
        auto line = text.substr(0, text.find('\n'));
        text.remove_prefix(std::min(text.size(), line.size() + 1));
        if (line.ends_with('\r'))
            line.remove_suffix(1);
        if (!f(line, number))
            return;
    }
}

// The values of every PrivateKey and PresharedKey line, valid or not, in
// any section: caller text that holds one is never shown in an error.
std::vector<std::string_view> secretValues(std::string_view text)
{
    std::vector<std::string_view> out;
    forEachLine(text, [&](std::string_view line, size_t) {
        auto c = content(line);
        auto eq = c.find('=');
        auto key = trim(c.substr(0, eq));
        if (eq != npos && (equalsNoCase(key, "PrivateKey") || equalsNoCase(key, "PresharedKey")))
            out.push_back(trim(c.substr(eq + 1)));
        return true;
    });
    return out;
}

std::optional<std::string_view> badBytes(std::string_view line)
{
    for (size_t i = 0; i < line.size();) {
        auto c = static_cast<unsigned char>(line[i]);
        if (c == 0)
            return "a NUL byte";
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return "a control character";
        size_t n = core::utf8CharLength(line.substr(i));
        if (n == 0)
            return "invalid UTF-8";
        i += n;
    }
    return std::nullopt;
}

int base64Digit(char c)
{
    constexpr std::string_view kDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    auto i = kDigits.find(c);
    return i == npos ? -1 : static_cast<int>(i);
}

// 32 bytes in base64: 43 digits carry 258 bits and one '=' pads. The 2
// spare bits must be zero, so a key has one spelling and duplicate public
// keys are found by comparing text.
bool isKey(std::string_view s)
{
    auto digit = [](char c) { return base64Digit(c) >= 0; };
    if (s.size() != 44 || s[43] != '=' || !std::ranges::all_of(s.substr(0, 43), digit))
        return false;
    return (base64Digit(s[42]) & 3) == 0;
}

// Decimal, no sign, no leading zero.
std::optional<uint64_t> parseNumber(std::string_view s, uint64_t min, uint64_t max)
{
    uint64_t v = 0;
    if (s.empty() || s.size() > 10 || (s.size() > 1 && s[0] == '0'))
        return std::nullopt;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || v < min || v > max)
        return std::nullopt;
    return v;
}

// wg(8) reads a fwmark as strtoul does; here decimal or 0x-hex only (no octal).
std::optional<uint32_t> parseFwMark(std::string_view s)
{
    if (equalsNoCase(s, "off"))
        return 0;
    if (s.size() < 3 || s[0] != '0' || lower(s[1]) != 'x')
        return parseNumber(s, 0, std::numeric_limits<uint32_t>::max());
    uint32_t v = 0;
    auto hex = s.substr(2);
    auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), v, 16);
    if (ec != std::errc() || end != hex.data() + hex.size())
        return std::nullopt;
    return v;
}

bool isHostname(std::string_view s)
{
    auto ldh = [](char c) { return (lower(c) >= 'a' && lower(c) <= 'z') || (c >= '0' && c <= '9') || c == '-'; };
    if (s.empty() || s.size() > 253)
        return false;
    std::string_view label;
    for (auto rest = s; !rest.empty();) {
        auto dot = rest.find('.');
        label = rest.substr(0, dot);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-' ||
            !std::ranges::all_of(label, ldh) || dot == rest.size() - 1)
            return false;
        rest.remove_prefix(dot == npos ? rest.size() : dot + 1);
    }
    // An all-digit last label makes resolvers read the name as an IPv4 address.
    return !std::ranges::all_of(label, [](char c) { return c >= '0' && c <= '9'; });
}

// "addr" or "addr/len" as "addr/len" in inet_ntop's spelling; with `mask`
// the host bits cleared.
std::optional<std::string> canonicalCidr(std::string_view s, bool mask)
{
    const bool hasLength = s.find('/') != npos;
    if (auto a = core::parseIpv4(s.substr(0, s.find('/')))) {
        auto p = hasLength ? core::parseIpv4Prefix(s) : core::Ipv4Prefix{*a, 32};
        if (!p)
            return std::nullopt;
        auto address = mask ? p->address & core::ipv4Netmask(p->length) : p->address;
        return fmt::format("{}/{}", core::formatIpv4(address), p->length);
    }
    auto p = hasLength ? core::parseIpv6Prefix(s)
                       : core::parseIpv6(s).transform([](core::Ipv6Address a) { return core::Ipv6Prefix{a, 128}; });
    if (!p)
        return std::nullopt;
    auto address = mask ? p->address & core::ipv6Netmask(p->length) : p->address;
    return fmt::format("{}/{}", core::formatIpv6(address), p->length);
}

std::optional<std::string> canonicalDns(std::string_view s)
{
    if (auto a = core::parseIpv4(s))
        return core::formatIpv4(*a);
    if (auto a = core::parseIpv6(s))
        return core::formatIpv6(*a);
    return isHostname(s) ? std::optional<std::string>(std::string(s)) : std::nullopt;
}

// Split as wg(8) splits it (after "[...]", else at the last ':'), each half strict.
std::expected<std::string, std::string_view> canonicalEndpoint(std::string_view s)
{
    constexpr std::string_view kNoPort = "has no port (host:port or [IPv6]:port)";
    std::string host;
    std::string_view port;
    if (s.starts_with('[')) {
        auto close = s.find(']');
        auto a = close == npos ? std::nullopt : core::parseIpv6(s.substr(1, close - 1));
        if (!a)
            return std::unexpected("has no valid IPv6 address in its brackets");
        if (s.substr(close + 1).empty() || s[close + 1] != ':')
            return std::unexpected(kNoPort);
        host = "[" + core::formatIpv6(*a) + "]";
        port = s.substr(close + 2);
    } else {
        auto colon = s.rfind(':');
        if (colon == npos)
            return std::unexpected(kNoPort);
        auto h = s.substr(0, colon);
        if (auto a = core::parseIpv4(h))
            host = core::formatIpv4(*a);
        else if (isHostname(h))
            host = h;
        else if (h.find(':') != npos)
            return std::unexpected("has an IPv6 address outside brackets ([addr]:port)");
        else
            return std::unexpected("has a host that is no IPv4 address, [IPv6] address or hostname");
        port = s.substr(colon + 1);
    }
    if (!parseNumber(port, 1, 65535))
        return std::unexpected("has a port outside 1..65535");
    return host + ":" + std::string(port);
}

class Parser {
public:
    Parser(std::string_view text, const WireguardRules& rules) : rules_(rules), secrets_(secretValues(text)) {}

    core::Result<WireguardConfig> run(std::string_view text)
    {
        if (text.size() > kWireguardMaxConfigBytes)
            return fail(0, fmt::format("longer than {} bytes", kWireguardMaxConfigBytes));
        core::Result<void> status;
        forEachLine(text, [&](std::string_view line, size_t number) {
            line_ = number;
            status = parseLine(line);
            return status.has_value();
        });
        if (status)
            status = endSection();
        if (!status)
            return std::unexpected(status.error());
        if (section_ == Section::None)
            return fail(0, "no [Interface] section");
        if (config_.peers.empty())
            return fail(0, "no [Peer] section (a tunnel needs at least one peer)");
        return std::move(config_);
    }

private:
    std::unexpected<core::Error> fail(size_t line, std::string_view what) const
    {
        auto where = line ? fmt::format("line {}: ", line) : std::string();
        return core::fail(core::ErrorCode::InvalidArgs, fmt::format("wireguard_config: {}{}", where, what));
    }

    std::unexpected<core::Error> badValue(std::string_view value, std::string_view expected) const
    {
        return fail(line_, fmt::format("{} must be {}, not {}", kKeys[key_].name, expected, quote(value)));
    }

    // Caller text for a message: its first 40 bytes, quoted. Not shown when
    // it shows a key value, or 4 bytes in a row of one: the text may be a key
    // pasted on the wrong line, or a misspelt key line.
    std::string quote(std::string_view text) const
    {
        constexpr size_t kMaxBytes = 40, kRun = 4;
        size_t cut = 0;
        while (cut < text.size()) {
            size_t n = std::max<size_t>(1, core::utf8CharLength(text.substr(cut)));
            if (cut + n > kMaxBytes)
                break;
            cut += n;
        }
        auto shown = text.substr(0, cut);
        auto quoted = core::quoteForMessage(shown) + (cut < text.size() ? "..." : "");
        for (auto secret : secrets_) {
            if (secret.empty() || shown.empty())
                continue;
            bool showsPart = shown.find(secret) != npos || quoted.find(secret) != npos;
            for (size_t i = 0; !showsPart && i + std::min(kRun, shown.size()) <= shown.size(); ++i)
                showsPart = secret.find(shown.substr(i, kRun)) != npos;
            if (showsPart)
                return "(text not shown: it matches a key value)";
        }
        return quoted;
    }

    core::Result<void> parseLine(std::string_view raw)
    {
        if (raw.size() > kWireguardMaxLineBytes)
            return fail(line_, fmt::format("longer than {} bytes", kWireguardMaxLineBytes));
        if (auto bad = badBytes(raw))
            return fail(line_, *bad);
        auto text = content(raw);
        if (text.empty())
            return {};
        if (text.front() == '[')
            return header(text);
        auto eq = text.find('=');
        if (eq == npos)
            return fail(line_, "neither a [Section] header nor Key = Value");
        auto name = trim(text.substr(0, eq));
        auto key = findKey(name);
        if (!key)
            return fail(line_, "unknown key " + quote(name));
        key_ = *key;
        const KeyInfo& info = kKeys[key_];
        if (section_ == Section::None)
            return fail(line_, fmt::format("{} before the [Interface] header", info.name));
        if (info.section != section_) {
            auto where = info.section == Section::Peer ? "a [Peer] section" : "the [Interface] section";
            return fail(line_, fmt::format("{} belongs in {}", info.name, where));
        }
        if (!info.repeats && seen_[key_] != 0)
            return fail(line_, fmt::format("{} given twice (first on line {})", info.name, seen_[key_]));
        seen_[key_] = line_;
        auto value = trim(text.substr(eq + 1));
        if (value.empty())
            return fail(line_, fmt::format("{} has no value", info.name));
        return section_ == Section::Interface ? interfaceValue(value) : peerValue(value);
    }

    core::Result<void> header(std::string_view text)
    {
        auto name = text.size() >= 2 && text.back() == ']' ? text.substr(1, text.size() - 2) : std::string_view{};
        auto next = equalsNoCase(name, "Interface") ? Section::Interface
                    : equalsNoCase(name, "Peer")    ? Section::Peer
                                                    : Section::None;
        if (next == Section::None)
            return fail(line_, "unknown section " + quote(text));
        if (next == Section::Interface && section_ != Section::None)
            return fail(line_, "a second [Interface] section");
        if (next == Section::Peer && section_ == Section::None)
            return fail(line_, "[Peer] before the [Interface] section");
        if (auto done = endSection(); !done)
            return done;
        if (next == Section::Peer) {
            if (config_.peers.size() == kWireguardMaxPeers)
                return fail(line_, fmt::format("more than {} peers", kWireguardMaxPeers));
            config_.peers.emplace_back();
        }
        section_ = next;
        headerLine_ = line_;
        seen_ = {};
        return {};
    }

    // What a section must have, checked when the next one starts or the text ends.
    core::Result<void> endSection() const
    {
        if (section_ == Section::Peer && !seen_[kPublicKey])
            return fail(headerLine_, "[Peer] has no PublicKey");
        if (section_ != Section::Interface)
            return {};
        if (!seen_[kPrivateKey])
            return fail(headerLine_, "[Interface] has no PrivateKey");
        if (config_.addresses.empty())
            return fail(headerLine_, "[Interface] has no Address (the machine's address in the tunnel)");
        // The kernel turns IPv6 off on a link with a smaller MTU.
        bool v6 = std::ranges::any_of(config_.addresses, [](const std::string& a) { return a.find(':') != npos; });
        if (v6 && config_.mtu && *config_.mtu < 1280)
            return fail(seen_[kMtu], "MTU must be at least 1280 with an IPv6 Address");
        return {};
    }

    // Each comma-separated entry of `value`, made canonical, onto `out`.
    template <typename Canonical>
    core::Result<void> list(std::string_view value, std::vector<std::string>& out, size_t max, Canonical canonical,
                            std::string_view expected)
    {
        while (true) {
            auto comma = value.find(',');
            auto entry = trim(value.substr(0, comma));
            auto made = entry.empty() ? std::nullopt : canonical(entry);
            if (!made)
                return fail(line_, fmt::format("{} entry {} is not {}", kKeys[key_].name, quote(entry), expected));
            if (out.size() >= max)
                return fail(line_, fmt::format("more than {} {} entries", max, kKeys[key_].name));
            out.push_back(std::move(*made));
            if (comma == npos)
                return {};
            value.remove_prefix(comma + 1);
        }
    }

    template <typename T>
    core::Result<void> number(std::optional<T>& field, std::string_view value, uint64_t min, uint64_t max)
    {
        auto n = parseNumber(value, min, max);
        if (!n)
            return badValue(value, fmt::format("a number in {}..{}", min, max));
        field = static_cast<T>(*n);
        return {};
    }

    core::Result<void> keyValue(std::string_view value, std::string_view what)
    {
        if (isKey(value))
            return {};
        // Never the value: it is, or was meant to be, a key.
        return fail(line_, fmt::format("{} is not a {} (44 base64 characters ending in '=', 32 bytes)",
                                       kKeys[key_].name, what));
    }

    core::Result<void> interfaceValue(std::string_view value)
    {
        auto& c = config_;
        switch (key_) {
        case kPrivateKey: {
            auto valid = keyValue(value, "WireGuard private key");
            if (valid)
                c.privateKey = core::Secret(std::string(value));
            return valid;
        }
        case kListenPort: return number(c.listenPort, value, 1, 65535);
        case kFwMark:
            c.fwMark = parseFwMark(value);
            return c.fwMark ? core::Result<void>{} : badValue(value, "off or a 32-bit number (decimal or 0x-hex)");
        case kAddress:
            return list(value, c.addresses, kWireguardMaxAddresses, [](auto e) { return canonicalCidr(e, false); },
                        "an IPv4 or IPv6 address with an optional prefix length");
        case kDns:
            return list(value, c.dns, kWireguardMaxDns, canonicalDns, "an IP address or a search domain");
        case kMtu: return number(c.mtu, value, 576, 65535);
        case kTable:
            if (equalsNoCase(value, "off") || equalsNoCase(value, "auto"))
                c.table = equalsNoCase(value, "off") ? "off" : "auto";
            else if (parseNumber(value, 1, std::numeric_limits<uint32_t>::max()))
                c.table = std::string(value);
            else
                return badValue(value, "off, auto or a table number");
            return {};
        case kSaveConfig:
            if (equalsNoCase(value, "true"))
                return fail(line_, "SaveConfig = true would make wg-quick write the running state into the config; "
                                   "leave it out");
            return equalsNoCase(value, "false") ? core::Result<void>{} : badValue(value, "true or false");
        default: return hook(value);
        }
    }

    core::Result<void> hook(std::string_view command)
    {
        auto name = kKeys[key_].name;
        if (!rules_.allowHooks)
            return fail(line_, fmt::format("{}: hook keys (PreUp, PostUp, PreDown, PostDown) run shell commands as "
                                           "root in the machine; allowed only when the daemon's config allows them",
                                           name));
        if (command.size() > kWireguardMaxHookBytes)
            return fail(line_, fmt::format("{} is longer than {} bytes", name, kWireguardMaxHookBytes));
        if (config_.hooks.size() >= kWireguardMaxHooks)
            return fail(line_, fmt::format("more than {} hook keys", kWireguardMaxHooks));
        config_.hooks.push_back({std::string(name), std::string(command)});
        return {};
    }

    core::Result<void> peerValue(std::string_view value)
    {
        auto& peer = config_.peers.back();
        switch (key_) {
        case kPublicKey: {
            if (auto valid = keyValue(value, "WireGuard public key"); !valid)
                return valid;
            auto [first, fresh] = publicKeys_.emplace(std::string(value), headerLine_);
            if (!fresh)
                return fail(line_, fmt::format("the peer of line {} has the same PublicKey", first->second));
            peer.publicKey = value;
            return {};
        }
        case kPresharedKey: {
            auto valid = keyValue(value, "WireGuard preshared key");
            if (valid)
                peer.presharedKey = core::Secret(std::string(value));
            return valid;
        }
        case kAllowedIps: return allowedIps(peer, value);
        case kEndpoint: {
            auto endpoint = canonicalEndpoint(value);
            if (!endpoint)
                return fail(line_, fmt::format("Endpoint {} {}", quote(value), endpoint.error()));
            peer.endpoint = std::move(*endpoint);
            return {};
        }
        default:
            if (!equalsNoCase(value, "off"))
                return number(peer.persistentKeepalive, value, 0, 65535);
            peer.persistentKeepalive = 0;
            return {};
        }
    }

    // A prefix routes to one peer: wg(8) would silently move it to the last.
    core::Result<void> allowedIps(WireguardPeer& peer, std::string_view value)
    {
        const size_t before = peer.allowedIps.size();
        const size_t room = before + kWireguardMaxAllowedIps - allowedIpsTotal_;
        auto added = list(value, peer.allowedIps, room, [](auto e) { return canonicalCidr(e, true); },
                          "an IPv4 or IPv6 prefix");
        if (!added)
            return added;
        allowedIpsTotal_ += peer.allowedIps.size() - before;
        for (size_t i = before; i < peer.allowedIps.size(); ++i) {
            auto [first, fresh] = routes_.emplace(peer.allowedIps[i], headerLine_);
            if (!fresh)
                return fail(line_, fmt::format("AllowedIPs {} is already routed to the peer of line {}",
                                               quote(peer.allowedIps[i]), first->second));
        }
        return {};
    }

    const WireguardRules& rules_;
    const std::vector<std::string_view> secrets_;
    WireguardConfig config_;
    size_t line_ = 0;
    Key key_ = kPrivateKey;  // of the line being read
    Section section_ = Section::None;
    size_t headerLine_ = 0;
    std::array<size_t, kKeys.size()> seen_{};       // line of each key in this section, 0: not yet
    std::map<std::string, size_t> publicKeys_;      // -> line of its [Peer]
    std::map<std::string, size_t> routes_;          // AllowedIPs prefix -> line of its [Peer]
    size_t allowedIpsTotal_ = 0;
};

// Appends without leaving copies in freed memory: growing a string the usual
// way frees its old buffer unwiped, and this one holds the keys.
void append(std::string& out, std::string_view s)
{
    if (out.size() + s.size() > out.capacity()) {
        std::string bigger;
        bigger.reserve(2 * (out.size() + s.size()));
        bigger += out;
        core::Secret old(std::move(out));  // wiped here
        out = std::move(bigger);
    }
    out += s;
}

// Long lists go over several lines: each must stay within the line limit.
void appendList(std::string& out, std::string_view key, const std::vector<std::string>& items)
{
    std::string line;
    for (const auto& item : items) {
        if (!line.empty() && line.size() + item.size() > 1000) {
            append(out, line + "\n");
            line.clear();
        }
        line += line.empty() ? fmt::format("{} = {}", key, item) : ", " + item;
    }
    if (!line.empty())
        append(out, line + "\n");
}

}  // namespace

core::Result<WireguardConfig> parseWireguardConfig(std::string_view text, const WireguardRules& rules)
{
    return Parser(text, rules).run(text);
}

core::Secret renderWireguardConfig(const WireguardConfig& c)
{
    std::string out;
    out.reserve(4096);
    auto line = [&out](std::string_view key, const auto& value) { append(out, fmt::format("{} = {}\n", key, value)); };
    auto secretLine = [&out](std::string_view key, const core::Secret& value) {
        append(out, key);
        append(out, " = ");
        append(out, value.reveal());
        append(out, "\n");
    };
    append(out, "[Interface]\n");
    secretLine("PrivateKey", c.privateKey);
    appendList(out, "Address", c.addresses);
    if (c.listenPort)
        line("ListenPort", *c.listenPort);
    if (c.fwMark)
        line("FwMark", *c.fwMark);
    appendList(out, "DNS", c.dns);
    if (c.mtu)
        line("MTU", *c.mtu);
    if (c.table)
        line("Table", *c.table);
    for (const auto& hook : c.hooks)
        line(hook.key, hook.command);
    for (const auto& peer : c.peers) {
        append(out, "\n[Peer]\n");
        line("PublicKey", peer.publicKey);
        if (peer.presharedKey)
            secretLine("PresharedKey", *peer.presharedKey);
        appendList(out, "AllowedIPs", peer.allowedIps);
        if (peer.endpoint)
            line("Endpoint", *peer.endpoint);
        if (peer.persistentKeepalive)
            line("PersistentKeepalive", *peer.persistentKeepalive);
    }
    return core::Secret(std::move(out));
}

}  // namespace zenith::net
