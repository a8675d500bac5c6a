// The `spec` / `overrides` a{sv} of the bus contract as a typed, D-Bus-free
// map. Setters exist for every contract key; set() takes any key with a
// value of the key's contract type and rejects the rest, naming the key.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "zenith/client/error.h"
#include "zenith/client/export.h"

namespace zenith::client {

// (proto, host port, machine port): one element of `ports` a(sqq).
struct PortForward {
    std::string proto;
    uint16_t hostPort = 0;
    uint16_t machinePort = 0;
    bool operator==(const PortForward&) const = default;
};

// The contract type of a key; the comment is its D-Bus signature.
enum class SpecType {
    String,      // s
    Bool,        // b
    UInt32,      // u
    UInt64,      // t
    StringList,  // as
    Ports,       // a(sqq)
    StringMap,   // a{sv} whose values are strings (tunnel)
};

using SpecValue = std::variant<std::string, bool, uint32_t, uint64_t, std::vector<std::string>,
                               std::vector<PortForward>, std::map<std::string, std::string>>;

ZENITH_CLIENT_EXPORT std::optional<SpecType> specKeyType(std::string_view key);
ZENITH_CLIENT_EXPORT std::string_view specTypeSignature(SpecType type);
ZENITH_CLIENT_EXPORT SpecType specValueType(const SpecValue& value);
// Every key of the contract, in contract order.
ZENITH_CLIENT_EXPORT const std::vector<std::string>& specKeys();
// password, wireguard_config: never printed, wiped when the Spec goes away.
ZENITH_CLIENT_EXPORT bool isSecretSpecKey(std::string_view key);

class ZENITH_CLIENT_EXPORT Spec {
public:
    Spec() = default;
    Spec(const Spec&) = default;
    Spec(Spec&&) noexcept = default;
    Spec& operator=(const Spec&) = default;
    Spec& operator=(Spec&&) noexcept = default;
    ~Spec();

    // InvalidArgs naming the key for an unknown key or a value of the wrong type.
    Result<void> set(std::string_view key, SpecValue value);
    void erase(std::string_view key);
    bool contains(std::string_view key) const;
    const SpecValue* get(std::string_view key) const;
    bool empty() const { return values_.empty(); }
    const std::map<std::string, SpecValue, std::less<>>& values() const { return values_; }

    Spec& setDistro(std::string v);
    Spec& setRelease(std::string v);
    Spec& setArch(std::string v);
    Spec& setTemplate(std::string v);
    Spec& setPassword(std::string plain);  // hashed by the daemon at once
    Spec& setPasswordHash(std::string crypt);
    Spec& setSsh(bool v);
    Spec& setSshAuthorizedKeys(std::vector<std::string> v);
    Spec& addSshAuthorizedKey(std::string key);
    Spec& setCpuQuota(uint32_t percent);  // 100 = one core
    Spec& setMemoryMax(uint64_t bytes);
    Spec& setDiskMax(uint64_t bytes);
    Spec& setSwapMax(uint64_t bytes);
    Spec& setCores(uint32_t v);
    Spec& setBridge(std::string v);
    Spec& setIpv4(std::string v);  // a.b.c.d/len or "auto"
    Spec& setGateway(std::string v);
    Spec& setDns(std::vector<std::string> v);
    Spec& setIpv6Mode(std::string v);  // none|native|6in4|wireguard
    Spec& setIpv6(std::string v);  // addr[/len] or "auto" (the pool's IPv6 subnet)
    Spec& setGateway6(std::string v);
    Spec& setTunnel(std::map<std::string, std::string> v);  // remote, local, address
    Spec& setWireguardConfig(std::string v);
    Spec& setPorts(std::vector<PortForward> v);
    Spec& setNode(std::string v);
    Spec& setVmid(uint32_t v);
    Spec& setStorage(std::string v);
    Spec& setIso(std::string v);
    Spec& setOsType(std::string v);
    Spec& setBios(std::string v);  // seabios|ovmf
    Spec& setVirtioIso(std::string v);

private:
    Spec& put(std::string_view key, SpecValue value);
    void wipeSecrets() noexcept;
    std::map<std::string, SpecValue, std::less<>> values_;
};

}  // namespace zenith::client
