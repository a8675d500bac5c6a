#include "core/spec.h"

#include <string.h>  // explicit_bzero

#include <array>
#include <set>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/inet.h"
#include "core/size_units.h"
#include "core/ssh_key.h"
#include "core/text_quote.h"

namespace zenith::core {

namespace {

using Json = nlohmann::json;

constexpr size_t kMaxPasswordLength = 1024;
constexpr size_t kMaxWireguardConfig = 64 * 1024;
constexpr size_t kMaxListEntries = 100;
constexpr size_t kMaxDnsServers = 8;
constexpr uint32_t kCoresMax = 512;

// One spec key being converted: what parse handlers see. `limits` is null when
// reading back a stored spec, whose sizes were checked against the limits in
// force when it was made.
struct Field {
    std::string_view key;
    const SpecValue& value;
    MachineSpec& spec;
    const Limits* limits;
};

using Handler = Result<void> (*)(const Field&);

std::string_view signatureOf(const SpecValue::Variant& v)
{
    static constexpr std::array<std::string_view, std::variant_size_v<SpecValue::Variant>> names{
        "b", "q", "u", "t", "i", "x", "d", "s", "as", "a(sqq)", "a{sv}"};
    return names[v.index()];
}

std::unexpected<Error> invalid(std::string message) { return fail(ErrorCode::InvalidArgs, std::move(message)); }

template <typename T>
Result<std::reference_wrapper<const T>> take(const Field& f, std::string_view expected)
{
    std::string_view got = f.value.signature.empty() ? signatureOf(f.value.value) : std::string_view(f.value.signature);
    const T* v = std::get_if<T>(&f.value.value);
    if (got != expected || !v)
        return invalid(fmt::format("spec key '{}' must have type '{}', got '{}'", f.key, expected, got));
    return std::cref(*v);
}

using speccheck::plainText;
using speccheck::referenceText;
using speccheck::tokenText;

Result<void> oneOf(std::string_view key, std::string_view s, std::initializer_list<std::string_view> accepted)
{
    for (auto a : accepted)
        if (a == s)
            return {};
    std::string list;
    for (auto a : accepted)
        list += (list.empty() ? "" : "|") + std::string(a);
    return invalid(fmt::format("spec key '{}' = {} is not one of {}", key, quoteForMessage(s), list));
}

template <typename T>
Result<void> inRange(std::string_view key, T value, T min, T max, std::string_view unit = {})
{
    if (value >= min && value <= max)
        return {};
    std::string u = unit.empty() ? std::string() : fmt::format(" {}", unit);
    return invalid(fmt::format("spec key '{}' = {}{} is out of range: accepted {}-{}{}", key, value, u, min, max, u));
}

Result<void> sizeInRange(std::string_view key, uint64_t value, uint64_t min, uint64_t max, std::string_view origin)
{
    if (value >= min && value <= max)
        return {};
    return invalid(fmt::format("spec key '{}' = {} bytes ({}) is out of range: accepted {}-{} bytes ({}-{}{})", key,
                               value, formatSize(value), min, max, formatSize(min), formatSize(max), origin));
}

// ---- string keys ----------------------------------------------------------

template <std::optional<std::string> MachineSpec::*Member, Result<void> (*Check)(std::string_view, std::string_view)>
Result<void> stringKey(const Field& f)
{
    auto v = take<std::string>(f, "s");
    if (!v)
        return std::unexpected(v.error());
    if (auto r = Check(f.key, v->get()); !r)
        return r;
    f.spec.*Member = v->get();
    return {};
}

Result<void> checkBridge(std::string_view key, std::string_view s)
{
    if (!isInterfaceName(s))
        return invalid(fmt::format("spec key '{}' = {} is not an interface name (1-15 characters from [A-Za-z0-9._-])",
                                   key, quoteForMessage(s)));
    return {};
}

Result<void> checkIpv4Assignment(std::string_view key, std::string_view s)
{
    // A bare address is one of a pool's (CloudPods callers give
    // `--ip 10.1.10.91`): the pool that holds it supplies the length.
    if (s == "auto" || parseIpv4(s))
        return {};
    auto p = parseIpv4Prefix(s);
    if (!p || p->length == 0)
        return invalid(fmt::format("spec key '{}' = {} is not 'auto' or an IPv4 address (a.b.c.d/1-32, or a.b.c.d "
                                   "in an address pool)",
                                   key, quoteForMessage(s)));
    uint32_t mask = ipv4Netmask(p->length);
    if (p->length <= 30 && ((p->address & ~mask) == 0 || (p->address & ~mask) == ~mask))
        return invalid(fmt::format("spec key '{}' = {} is the network or broadcast address of its subnet", key,
                                   quoteForMessage(s)));
    return {};
}

Result<void> checkIpv4(std::string_view key, std::string_view s)
{
    if (!parseIpv4(s))
        return invalid(fmt::format("spec key '{}' = {} is not an IPv4 address (a.b.c.d)", key, quoteForMessage(s)));
    return {};
}

Result<void> checkIpv6(std::string_view key, std::string_view s)
{
    if (!isIpv6WithOptionalPrefix(s))
        return invalid(fmt::format("spec key '{}' = {} is not an IPv6 address (optionally with /0-128)", key,
                                   quoteForMessage(s)));
    return {};
}

Result<void> checkIpv6Assignment(std::string_view key, std::string_view s)
{
    // As for ipv4: `auto` is the next free address of the pool's IPv6 part,
    // and a bare address inside a pool takes the pool's prefix length.
    if (s == "auto" || isIpv6WithOptionalPrefix(s))
        return {};
    return invalid(fmt::format("spec key '{}' = {} is not an IPv6 address (optionally with /0-128) or 'auto'", key,
                               quoteForMessage(s)));
}

Result<void> checkIpv6Address(std::string_view key, std::string_view s)
{
    if (!isIpv6(s))
        return invalid(fmt::format("spec key '{}' = {} is not an IPv6 address", key, quoteForMessage(s)));
    return {};
}

Result<void> checkIpv6Mode(std::string_view key, std::string_view s)
{
    return oneOf(key, s, {"none", "native", "6in4", "wireguard"});
}

Result<void> checkPasswordHash(std::string_view key, std::string_view s)
{
    // A crypt(3) string ("$y$...", "$6$rounds=...$..."); its text is a
    // credential too, so it is never echoed.
    bool good = s.size() >= 4 && s.size() <= 512 && s[0] == '$';
    for (unsigned char c : s)
        good = good && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                        c == '/' || c == '$' || c == '=' || c == ',' || c == '+' || c == '-');
    if (!good)
        return invalid(fmt::format("spec key '{}' is not a crypt(3) hash (expected '$id$salt$hash' from "
                                   "[A-Za-z0-9./$=,+-])",
                                   key));
    return {};
}

Result<void> passwordKey(const Field& f)
{
    auto v = take<std::string>(f, "s");
    if (!v)
        return std::unexpected(v.error());
    const std::string& s = v->get();
    // Messages here never include the value.
    if (s.empty())
        return invalid(fmt::format("spec key '{}' must not be empty", f.key));
    if (s.size() > kMaxPasswordLength)
        return invalid(fmt::format("spec key '{}' is longer than {} bytes", f.key, kMaxPasswordLength));
    if (s.find_first_of(std::string_view("\n\r\0:", 4)) != std::string::npos)
        return invalid(fmt::format("spec key '{}' must not contain a newline, carriage return, NUL or ':'", f.key));
    f.spec.password = Secret(s);
    return {};
}

Result<void> wireguardKey(const Field& f)
{
    auto v = take<std::string>(f, "s");
    if (!v)
        return std::unexpected(v.error());
    const std::string& s = v->get();
    if (s.empty() || s.size() > kMaxWireguardConfig)
        return invalid(fmt::format("spec key '{}' must be 1-{} bytes long", f.key, kMaxWireguardConfig));
    for (unsigned char c : s)
        if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f)
            return invalid(fmt::format("spec key '{}' contains control characters other than newline and tab", f.key));
    if (s.find("[Interface]") == std::string::npos)
        return invalid(fmt::format("spec key '{}' is not a WireGuard configuration (no [Interface] section)", f.key));
    f.spec.wireguardConfig = Secret(s);
    return {};
}

// ---- numbers and booleans --------------------------------------------------

Result<void> sshKey(const Field& f)
{
    auto v = take<bool>(f, "b");
    if (!v)
        return std::unexpected(v.error());
    f.spec.ssh = v->get();
    return {};
}

Result<void> cpuQuotaKey(const Field& f)
{
    auto v = take<uint32_t>(f, "u");
    if (!v)
        return std::unexpected(v.error());
    if (f.limits)
        if (auto r = inRange<uint32_t>(f.key, v->get(), f.limits->cpuQuotaMin, f.limits->cpuQuotaMax, "percent"); !r)
            return r;
    f.spec.cpuQuota = v->get();
    return {};
}

template <std::optional<uint64_t> MachineSpec::*Member>
Result<void> sizeKey(const Field& f)
{
    auto v = take<uint64_t>(f, "t");
    if (!v)
        return std::unexpected(v.error());
    uint64_t value = v->get();
    if (f.limits) {
        Result<void> r;
        if constexpr (Member == &MachineSpec::memoryMax)
            r = sizeInRange(f.key, value, f.limits->memoryMin, f.limits->memoryMax, fmt::format(", {}", f.limits->memoryKey));
        else if constexpr (Member == &MachineSpec::diskMax)
            r = sizeInRange(f.key, value, f.limits->diskMin, f.limits->diskMax, fmt::format(", {}", f.limits->diskKey));
        else
            r = sizeInRange(f.key, value, 0, f.limits->memoryMax, fmt::format(", up to {} max", f.limits->memoryKey));
        if (!r)
            return r;
    }
    f.spec.*Member = value;
    return {};
}

Result<void> coresKey(const Field& f)
{
    auto v = take<uint32_t>(f, "u");
    if (!v)
        return std::unexpected(v.error());
    if (auto r = inRange<uint32_t>(f.key, v->get(), 1, kCoresMax); !r)
        return r;
    f.spec.cores = v->get();
    return {};
}

// ---- containers ---------------------------------------------------------------

Result<void> authorizedKeysKey(const Field& f)
{
    auto v = take<std::vector<std::string>>(f, "as");
    if (!v)
        return std::unexpected(v.error());
    const auto& keys = v->get();
    if (keys.size() > kMaxListEntries)
        return invalid(fmt::format("spec key '{}' has {} entries, at most {} allowed", f.key, keys.size(),
                                   kMaxListEntries));
    for (size_t i = 0; i < keys.size(); ++i) {
        if (keys[i].size() > 16384 || keys[i].find_first_of("\n\r") != std::string::npos || hasControlChars(keys[i]))
            return invalid(fmt::format("spec key '{}' entry {} must be a single line of at most 16384 bytes without "
                                       "control characters",
                                       f.key, i + 1));
        if (!looksLikeSshPublicKey(keys[i]))
            return invalid(fmt::format("spec key '{}' entry {} ({}) does not look like an SSH public key "
                                       "('[options] TYPE BASE64 [comment]', e.g. ssh-ed25519 AAAA...)",
                                       f.key, i + 1, quoteForMessage(keys[i], 40)));
    }
    f.spec.sshAuthorizedKeys = keys;
    return {};
}

Result<void> dnsKey(const Field& f)
{
    auto v = take<std::vector<std::string>>(f, "as");
    if (!v)
        return std::unexpected(v.error());
    const auto& servers = v->get();
    if (servers.size() > kMaxDnsServers)
        return invalid(fmt::format("spec key '{}' has {} entries, at most {} allowed", f.key, servers.size(),
                                   kMaxDnsServers));
    for (size_t i = 0; i < servers.size(); ++i)
        if (!isIpAddress(servers[i]))
            return invalid(fmt::format("spec key '{}' entry {} = {} is not an IP address", f.key, i + 1,
                                       quoteForMessage(servers[i])));
    f.spec.dns = servers;
    return {};
}

Result<void> tunnelKey(const Field& f)
{
    auto v = take<std::map<std::string, std::string>>(f, "a{sv}");
    if (!v)
        return std::unexpected(v.error());
    for (const auto& [k, val] : v->get()) {
        Result<void> r;
        if (k == "remote" || k == "local")
            r = checkIpv4(fmt::format("{}.{}", f.key, k), val);
        else if (k == "address")
            r = checkIpv6(fmt::format("{}.{}", f.key, k), val);
        else
            return invalid(fmt::format("spec key '{}' has unknown key {} (accepted: remote, local, address)", f.key,
                                       quoteForMessage(k)));
        if (!r)
            return r;
    }
    f.spec.tunnel = v->get();
    return {};
}

Result<void> portsKey(const Field& f)
{
    auto v = take<std::vector<PortForward>>(f, "a(sqq)");
    if (!v)
        return std::unexpected(v.error());
    const auto& ports = v->get();
    if (ports.size() > kMaxListEntries)
        return invalid(fmt::format("spec key '{}' has {} entries, at most {} allowed", f.key, ports.size(),
                                   kMaxListEntries));
    std::set<std::pair<std::string, uint16_t>> seen;
    for (size_t i = 0; i < ports.size(); ++i) {
        const auto& p = ports[i];
        if (p.proto != "tcp" && p.proto != "udp")
            return invalid(fmt::format("spec key '{}' entry {}: proto {} is not tcp or udp", f.key, i + 1,
                                       quoteForMessage(p.proto)));
        if (p.hostPort == 0 || p.machinePort == 0)
            return invalid(fmt::format("spec key '{}' entry {}: {} port 0 is out of range: accepted 1-65535", f.key,
                                       i + 1, p.hostPort == 0 ? "host" : "machine"));
        if (!seen.emplace(p.proto, p.hostPort).second)
            return invalid(fmt::format("spec key '{}' entry {}: host port {}/{} is forwarded twice", f.key, i + 1,
                                       p.hostPort, p.proto));
    }
    f.spec.ports = ports;
    return {};
}

struct KeyRule {
    std::string_view key;
    std::string_view signature;  // for reading JSON back into a SpecMap
    Handler handler;
    bool secret;                 // never written to JSON
};

using M = MachineSpec;
constexpr std::array<KeyRule, 24> kRules{{
    {"distro", "s", stringKey<&M::distro, tokenText>, false},
    {"release", "s", stringKey<&M::release, tokenText>, false},
    {"arch", "s", stringKey<&M::arch, tokenText>, false},
    {"template", "s", stringKey<&M::templateName, referenceText>, false},
    {"password", "s", passwordKey, true},
    {"password_hash", "s", stringKey<&M::passwordHash, checkPasswordHash>, true},
    {"ssh", "b", sshKey, false},
    {"ssh_authorized_keys", "as", authorizedKeysKey, false},
    {"cpu_quota", "u", cpuQuotaKey, false},
    {"memory_max", "t", sizeKey<&M::memoryMax>, false},
    {"disk_max", "t", sizeKey<&M::diskMax>, false},
    {"swap_max", "t", sizeKey<&M::swapMax>, false},
    {"cores", "u", coresKey, false},
    {"bridge", "s", stringKey<&M::bridge, checkBridge>, false},
    {"ipv4", "s", stringKey<&M::ipv4, checkIpv4Assignment>, false},
    {"pool", "s", stringKey<&M::pool, tokenText>, false},
    {"gateway", "s", stringKey<&M::gateway, checkIpv4>, false},
    {"dns", "as", dnsKey, false},
    {"ipv6_mode", "s", stringKey<&M::ipv6Mode, checkIpv6Mode>, false},
    {"ipv6", "s", stringKey<&M::ipv6, checkIpv6Assignment>, false},
    {"gateway6", "s", stringKey<&M::gateway6, checkIpv6Address>, false},
    {"tunnel", "a{sv}", tunnelKey, false},
    {"wireguard_config", "s", wireguardKey, true},
    {"ports", "a(sqq)", portsKey, false},
}};

const KeyRule* findRule(std::string_view key)
{
    for (const auto& r : kRules)
        if (r.key == key)
            return &r;
    return nullptr;
}

// A backend key: the declared type, then the backend's check.
Result<void> backendKey(const SpecKeyRule& rule, const SpecValue& value, MachineSpec& spec)
{
    std::string_view got = value.signature.empty() ? signatureOf(value.value) : std::string_view(value.signature);
    if (got != rule.signature || signatureOf(value.value) != rule.signature)
        return invalid(fmt::format("spec key '{}' must have type '{}', got '{}'", rule.key, rule.signature, got));
    if (rule.check)
        if (auto r = rule.check(rule.key, value); !r)
            return r;
    spec.backend.values[std::string(rule.key)] = SpecValue{value.value, std::string(rule.signature)};
    return {};
}

Result<MachineSpec> parse(const SpecMap& raw, const Limits* limits, SpecKeyRules backendKeys,
                          std::string_view backend)
{
    MachineSpec spec;
    for (const auto& [key, value] : raw) {
        if (const KeyRule* rule = findRule(key)) {
            if (auto r = rule->handler(Field{rule->key, value, spec, limits}); !r)
                return std::unexpected(r.error());
            continue;
        }
        const SpecKeyRule* own = findSpecKeyRule(backendKeys, key);
        if (!own) {
            if (backend.empty())
                return invalid(fmt::format("unknown spec key {}", quoteForMessage(key)));
            return invalid(fmt::format("unknown spec key {} for backend '{}'", quoteForMessage(key), backend));
        }
        if (auto r = backendKey(*own, value, spec); !r)
            return std::unexpected(r.error());
    }
    if (spec.password && spec.passwordHash)
        return invalid("spec keys 'password' and 'password_hash' are mutually exclusive: give one of them");
    return spec;
}

template <typename T>
void overlay(std::optional<T>& dst, const std::optional<T>& src)
{
    if (src)
        dst = src;
}

// ---- JSON ------------------------------------------------------------------------

Result<SpecValue> valueFromJson(std::string_view key, std::string_view signature, const Json& j)
{
    auto wrong = [&] {
        return invalid(
            fmt::format("stored spec key '{}' must have type '{}', got JSON {}", key, signature, j.type_name()));
    };
    std::string sig(signature);
    if (sig == "s") {
        if (!j.is_string())
            return wrong();
        return SpecValue{j.get<std::string>(), sig};
    }
    if (sig == "b") {
        if (!j.is_boolean())
            return wrong();
        return SpecValue{j.get<bool>(), sig};
    }
    if (sig == "u") {
        if (!j.is_number_unsigned() || j.get<uint64_t>() > UINT32_MAX)
            return wrong();
        return SpecValue{static_cast<uint32_t>(j.get<uint64_t>()), sig};
    }
    if (sig == "t") {
        if (!j.is_number_unsigned())
            return wrong();
        return SpecValue{j.get<uint64_t>(), sig};
    }
    if (sig == "as") {
        if (!j.is_array())
            return wrong();
        std::vector<std::string> list;
        for (const auto& e : j) {
            if (!e.is_string())
                return wrong();
            list.push_back(e.get<std::string>());
        }
        return SpecValue{std::move(list), sig};
    }
    if (sig == "a{sv}") {
        if (!j.is_object())
            return wrong();
        std::map<std::string, std::string> map;
        for (const auto& [k, e] : j.items()) {
            if (!e.is_string())
                return wrong();
            map[k] = e.get<std::string>();
        }
        return SpecValue{std::move(map), sig};
    }
    // a(sqq): [[proto, host, machine], ...]
    if (!j.is_array())
        return wrong();
    std::vector<PortForward> ports;
    for (const auto& e : j) {
        if (!e.is_array() || e.size() != 3 || !e[0].is_string() || !e[1].is_number_unsigned() ||
            !e[2].is_number_unsigned() || e[1].get<uint64_t>() > UINT16_MAX || e[2].get<uint64_t>() > UINT16_MAX)
            return wrong();
        ports.push_back({e[0].get<std::string>(), static_cast<uint16_t>(e[1].get<uint64_t>()),
                         static_cast<uint16_t>(e[2].get<uint64_t>())});
    }
    return SpecValue{std::move(ports), sig};
}

}  // namespace

bool isSpecKey(std::string_view key)
{
    return findRule(key) != nullptr;
}

std::vector<std::string_view> specKeys()
{
    std::vector<std::string_view> keys;
    for (const auto& r : kRules)
        keys.push_back(r.key);
    return keys;
}

Result<MachineSpec> parseSpec(const SpecMap& raw, const Limits& limits, SpecKeyRules backendKeys,
                              std::string_view backend)
{
    return parse(raw, &limits, backendKeys, backend);
}

void dropCredentials(MachineSpec& spec)
{
    spec.password.reset();  // a Secret wipes its memory
    if (spec.passwordHash) {
        explicit_bzero(spec.passwordHash->data(), spec.passwordHash->size());
        spec.passwordHash.reset();
    }
    spec.wireguardConfig.reset();
}

MachineSpec mergeSpec(const MachineSpec& base, const MachineSpec& o)
{
    MachineSpec m = base;
    overlay(m.distro, o.distro);
    overlay(m.release, o.release);
    overlay(m.arch, o.arch);
    overlay(m.templateName, o.templateName);
    // A new password replaces the old credential of either kind.
    if (o.password) {
        m.password = o.password;
        m.passwordHash.reset();
    }
    if (o.passwordHash) {
        m.passwordHash = o.passwordHash;
        m.password.reset();
    }
    overlay(m.ssh, o.ssh);
    overlay(m.sshAuthorizedKeys, o.sshAuthorizedKeys);
    overlay(m.cpuQuota, o.cpuQuota);
    overlay(m.memoryMax, o.memoryMax);
    overlay(m.diskMax, o.diskMax);
    overlay(m.swapMax, o.swapMax);
    overlay(m.cores, o.cores);
    overlay(m.bridge, o.bridge);
    overlay(m.ipv4, o.ipv4);
    overlay(m.pool, o.pool);
    overlay(m.gateway, o.gateway);
    overlay(m.dns, o.dns);
    overlay(m.ipv6Mode, o.ipv6Mode);
    overlay(m.ipv6, o.ipv6);
    overlay(m.gateway6, o.gateway6);
    overlay(m.tunnel, o.tunnel);
    overlay(m.wireguardConfig, o.wireguardConfig);
    overlay(m.ports, o.ports);
    for (const auto& [key, value] : o.backend.values)
        m.backend.values[key] = value;
    return m;
}

std::string specToJson(const MachineSpec& s)
{
    Json j = Json::object();
    auto put = [&](std::string_view key, const auto& field) {
        if (field)
            j[std::string(key)] = *field;
    };
    put("distro", s.distro);
    put("release", s.release);
    put("arch", s.arch);
    put("template", s.templateName);
    // password, password_hash and wireguard_config are credentials: never stored.
    put("ssh", s.ssh);
    put("ssh_authorized_keys", s.sshAuthorizedKeys);
    put("cpu_quota", s.cpuQuota);
    put("memory_max", s.memoryMax);
    put("disk_max", s.diskMax);
    put("swap_max", s.swapMax);
    put("cores", s.cores);
    put("bridge", s.bridge);
    put("ipv4", s.ipv4);
    put("pool", s.pool);
    put("gateway", s.gateway);
    put("dns", s.dns);
    put("ipv6_mode", s.ipv6Mode);
    put("ipv6", s.ipv6);
    put("gateway6", s.gateway6);
    put("tunnel", s.tunnel);
    if (s.ports) {
        Json ports = Json::array();
        for (const auto& p : *s.ports)
            ports.push_back(Json::array({p.proto, p.hostPort, p.machinePort}));
        j["ports"] = std::move(ports);
    }
    for (const auto& [key, value] : s.backend.values)
        j[key] = std::visit(
            [](const auto& v) -> Json {
                using T = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<T, std::vector<PortForward>>)
                    return Json();  // no backend key has this type
                else
                    return Json(v);
            },
            value.value);
    return j.dump();
}

Result<MachineSpec> specFromJson(const std::string& json, SpecKeyRules backendKeys)
{
    Json j = Json::parse(json, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object())
        return invalid("stored spec is not a JSON object");
    SpecMap raw;
    for (const auto& [key, value] : j.items()) {
        std::string_view signature;
        if (const KeyRule* rule = findRule(key)) {
            if (rule->secret)
                return invalid(fmt::format("stored spec holds the credential key '{}', which is never stored", key));
            signature = rule->signature;
        } else if (const SpecKeyRule* own = findSpecKeyRule(backendKeys, key)) {
            signature = own->signature;
        } else {
            return invalid(fmt::format("unknown spec key {}", quoteForMessage(key)));
        }
        auto v = valueFromJson(key, signature, value);
        if (!v)
            return std::unexpected(v.error());
        raw.emplace(key, std::move(*v));
    }
    return parse(raw, nullptr, backendKeys, {});
}

std::optional<std::string> BackendValues::text(std::string_view key) const
{
    auto it = values.find(key);
    const auto* v = it == values.end() ? nullptr : std::get_if<std::string>(&it->second.value);
    return v ? std::optional(*v) : std::nullopt;
}

std::optional<uint32_t> BackendValues::number(std::string_view key) const
{
    auto it = values.find(key);
    const auto* v = it == values.end() ? nullptr : std::get_if<uint32_t>(&it->second.value);
    return v ? std::optional(*v) : std::nullopt;
}

std::optional<uint64_t> BackendValues::size(std::string_view key) const
{
    auto it = values.find(key);
    const auto* v = it == values.end() ? nullptr : std::get_if<uint64_t>(&it->second.value);
    return v ? std::optional(*v) : std::nullopt;
}

std::optional<bool> BackendValues::flag(std::string_view key) const
{
    auto it = values.find(key);
    const auto* v = it == values.end() ? nullptr : std::get_if<bool>(&it->second.value);
    return v ? std::optional(*v) : std::nullopt;
}

std::optional<std::vector<std::string>> BackendValues::list(std::string_view key) const
{
    auto it = values.find(key);
    const auto* v = it == values.end() ? nullptr : std::get_if<std::vector<std::string>>(&it->second.value);
    return v ? std::optional(*v) : std::nullopt;
}

}  // namespace zenith::core
