#include "zenith/client/spec.h"

#include <string.h>

#include <array>

namespace zenith::client {
namespace {

struct KeyType {
    std::string_view key;
    SpecType type;
};

// The contract's spec keys (DESIGN.md section 2), in its order.
constexpr std::array kKeys{
    KeyType{"distro", SpecType::String},         KeyType{"release", SpecType::String},
    KeyType{"arch", SpecType::String},           KeyType{"template", SpecType::String},
    KeyType{"password", SpecType::String},       KeyType{"password_hash", SpecType::String},
    KeyType{"ssh", SpecType::Bool},              KeyType{"ssh_authorized_keys", SpecType::StringList},
    KeyType{"cpu_quota", SpecType::UInt32},      KeyType{"memory_max", SpecType::UInt64},
    KeyType{"disk_max", SpecType::UInt64},       KeyType{"swap_max", SpecType::UInt64},
    KeyType{"cores", SpecType::UInt32},          KeyType{"bridge", SpecType::String},
    KeyType{"ipv4", SpecType::String},           KeyType{"gateway", SpecType::String},
    KeyType{"dns", SpecType::StringList},        KeyType{"ipv6_mode", SpecType::String},
    KeyType{"ipv6", SpecType::String},           KeyType{"tunnel", SpecType::StringMap},
    KeyType{"wireguard_config", SpecType::String}, KeyType{"ports", SpecType::Ports},
    KeyType{"node", SpecType::String},           KeyType{"vmid", SpecType::UInt32},
    KeyType{"storage", SpecType::String},        KeyType{"iso", SpecType::String},
    KeyType{"os_type", SpecType::String},        KeyType{"bios", SpecType::String},
    KeyType{"virtio_iso", SpecType::String},
    // Extensions: the address pool and the IPv6 gateway, and the Proxmox
    // backends' own keys.
    KeyType{"pool", SpecType::String},           KeyType{"gateway6", SpecType::String},
    KeyType{"last_octet", SpecType::UInt32},
    KeyType{"ostemplate", SpecType::String},     KeyType{"unprivileged", SpecType::Bool},
    KeyType{"nesting", SpecType::Bool},          KeyType{"full_clone", SpecType::Bool},
    KeyType{"cpu_type", SpecType::String},       KeyType{"machine", SpecType::String},
    KeyType{"vga", SpecType::String},            KeyType{"scsihw", SpecType::String},
    KeyType{"boot", SpecType::String},           KeyType{"agent", SpecType::Bool},
    KeyType{"tablet", SpecType::Bool},           KeyType{"onboot", SpecType::Bool},
    KeyType{"make_template", SpecType::Bool},
};

void wipe(std::string& s) noexcept
{
    if (!s.empty())
        explicit_bzero(s.data(), s.size());
    s.clear();
}

}  // namespace

std::optional<SpecType> specKeyType(std::string_view key)
{
    for (const auto& k : kKeys)
        if (k.key == key)
            return k.type;
    return std::nullopt;
}

std::string_view specTypeSignature(SpecType type)
{
    switch (type) {
    case SpecType::String: return "s";
    case SpecType::Bool: return "b";
    case SpecType::UInt32: return "u";
    case SpecType::UInt64: return "t";
    case SpecType::StringList: return "as";
    case SpecType::Ports: return "a(sqq)";
    case SpecType::StringMap: return "a{sv}";
    }
    return "?";
}

SpecType specValueType(const SpecValue& value)
{
    // Same order as the SpecValue alternatives.
    static constexpr std::array kByIndex{SpecType::String,     SpecType::Bool,  SpecType::UInt32,   SpecType::UInt64,
                                         SpecType::StringList, SpecType::Ports, SpecType::StringMap};
    return kByIndex[value.index()];
}

const std::vector<std::string>& specKeys()
{
    static const std::vector<std::string> keys = [] {
        std::vector<std::string> out;
        for (const auto& k : kKeys)
            out.emplace_back(k.key);
        return out;
    }();
    return keys;
}

bool isSecretSpecKey(std::string_view key)
{
    return key == "password" || key == "wireguard_config";
}

Spec::~Spec()
{
    wipeSecrets();
}

void Spec::wipeSecrets() noexcept
{
    for (auto& [key, value] : values_)
        if (isSecretSpecKey(key))
            if (auto* s = std::get_if<std::string>(&value))
                wipe(*s);
}

Result<void> Spec::set(std::string_view key, SpecValue value)
{
    auto type = specKeyType(key);
    if (!type)
        return std::unexpected(makeError(ErrorKind::InvalidArgs, "unknown spec key '" + std::string(key) + "'"));
    if (specValueType(value) != *type)
        return std::unexpected(makeError(
            ErrorKind::InvalidArgs, "spec key '" + std::string(key) + "' wants type '" +
                                        std::string(specTypeSignature(*type)) + "', got '" +
                                        std::string(specTypeSignature(specValueType(value))) + "'"));
    put(key, std::move(value));
    return {};
}

Spec& Spec::put(std::string_view key, SpecValue value)
{
    auto it = values_.find(key);
    if (it == values_.end()) {
        values_.emplace(std::string(key), std::move(value));
    } else {
        if (isSecretSpecKey(key))
            if (auto* s = std::get_if<std::string>(&it->second))
                wipe(*s);
        it->second = std::move(value);
    }
    return *this;
}

void Spec::erase(std::string_view key)
{
    auto it = values_.find(key);
    if (it == values_.end())
        return;
    if (isSecretSpecKey(key))
        if (auto* s = std::get_if<std::string>(&it->second))
            wipe(*s);
    values_.erase(it);
}

bool Spec::contains(std::string_view key) const
{
    return values_.find(key) != values_.end();
}

const SpecValue* Spec::get(std::string_view key) const
{
    auto it = values_.find(key);
    return it == values_.end() ? nullptr : &it->second;
}

Spec& Spec::setDistro(std::string v) { return put("distro", std::move(v)); }
Spec& Spec::setRelease(std::string v) { return put("release", std::move(v)); }
Spec& Spec::setArch(std::string v) { return put("arch", std::move(v)); }
Spec& Spec::setTemplate(std::string v) { return put("template", std::move(v)); }
Spec& Spec::setPassword(std::string plain)
{
    put("password", std::string(plain));
    wipe(plain);
    return *this;
}
Spec& Spec::setPasswordHash(std::string v) { return put("password_hash", std::move(v)); }
Spec& Spec::setSsh(bool v) { return put("ssh", v); }
Spec& Spec::setSshAuthorizedKeys(std::vector<std::string> v) { return put("ssh_authorized_keys", std::move(v)); }
Spec& Spec::addSshAuthorizedKey(std::string key)
{
    auto it = values_.find(std::string_view("ssh_authorized_keys"));
    if (it == values_.end())
        return put("ssh_authorized_keys", std::vector<std::string>{std::move(key)});
    std::get<std::vector<std::string>>(it->second).push_back(std::move(key));
    return *this;
}
Spec& Spec::setCpuQuota(uint32_t percent) { return put("cpu_quota", percent); }
Spec& Spec::setMemoryMax(uint64_t bytes) { return put("memory_max", bytes); }
Spec& Spec::setDiskMax(uint64_t bytes) { return put("disk_max", bytes); }
Spec& Spec::setSwapMax(uint64_t bytes) { return put("swap_max", bytes); }
Spec& Spec::setCores(uint32_t v) { return put("cores", v); }
Spec& Spec::setBridge(std::string v) { return put("bridge", std::move(v)); }
Spec& Spec::setIpv4(std::string v) { return put("ipv4", std::move(v)); }
Spec& Spec::setGateway(std::string v) { return put("gateway", std::move(v)); }
Spec& Spec::setDns(std::vector<std::string> v) { return put("dns", std::move(v)); }
Spec& Spec::setIpv6Mode(std::string v) { return put("ipv6_mode", std::move(v)); }
Spec& Spec::setIpv6(std::string v) { return put("ipv6", std::move(v)); }
Spec& Spec::setGateway6(std::string v) { return put("gateway6", std::move(v)); }
Spec& Spec::setTunnel(std::map<std::string, std::string> v) { return put("tunnel", std::move(v)); }
Spec& Spec::setWireguardConfig(std::string v)
{
    put("wireguard_config", std::string(v));
    wipe(v);
    return *this;
}
Spec& Spec::setPorts(std::vector<PortForward> v) { return put("ports", std::move(v)); }
Spec& Spec::setNode(std::string v) { return put("node", std::move(v)); }
Spec& Spec::setVmid(uint32_t v) { return put("vmid", v); }
Spec& Spec::setStorage(std::string v) { return put("storage", std::move(v)); }
Spec& Spec::setIso(std::string v) { return put("iso", std::move(v)); }
Spec& Spec::setOsType(std::string v) { return put("os_type", std::move(v)); }
Spec& Spec::setBios(std::string v) { return put("bios", std::move(v)); }
Spec& Spec::setVirtioIso(std::string v) { return put("virtio_iso", std::move(v)); }

}  // namespace zenith::client
