// Machine specs: the typed form of the `spec`/`overrides` a{sv} of the bus
// contract, and the validation of every key (type, range, unknown key).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/secret.h"
#include "core/spec_value.h"

namespace zenith::core {

// Accepted ranges for spec values ([Limits] in the config).
struct Limits {
    uint32_t cpuQuotaMin = 25, cpuQuotaMax = 400;                        // percent
    uint64_t memoryMin = 256ull << 20, memoryMax = 8ull << 30;           // bytes
    uint64_t diskMin = 5ull << 30, diskMax = 100ull << 30;               // bytes
};

struct MachineSpec {
    std::optional<std::string> distro;       // debian | ubuntu
    std::optional<std::string> release;      // bookworm, bullseye, ...
    std::optional<std::string> arch;         // amd64 | arm64
    std::optional<std::string> templateName; // key "template"
    std::optional<Secret> password;          // plain; hashed at once by the driver
    std::optional<std::string> passwordHash; // crypt(3) string
    std::optional<bool> ssh;
    std::optional<std::vector<std::string>> sshAuthorizedKeys;
    std::optional<uint32_t> cpuQuota;        // percent, 100 = one core
    std::optional<uint64_t> memoryMax;       // bytes
    std::optional<uint64_t> diskMax;         // bytes
    std::optional<uint64_t> swapMax;         // bytes
    std::optional<uint32_t> cores;
    std::optional<std::string> bridge;
    std::optional<std::string> ipv4;         // a.b.c.d/len or "auto"
    std::optional<std::string> gateway;
    std::optional<std::vector<std::string>> dns;
    std::optional<std::string> ipv6Mode;     // none|native|6in4|wireguard
    std::optional<std::string> ipv6;
    std::optional<std::map<std::string, std::string>> tunnel;  // remote, local, address
    std::optional<Secret> wireguardConfig;   // holds a private key
    std::optional<std::vector<PortForward>> ports;
    std::optional<std::string> node;
    std::optional<uint32_t> vmid;
    std::optional<std::string> storage;
    std::optional<std::string> iso;
    std::optional<std::string> osType;
    std::optional<std::string> bios;         // seabios|ovmf
    std::optional<std::string> virtioIso;
};

// Converts and checks every key: unknown key, wrong type and out-of-range
// values are InvalidArgs errors whose message names the key. Backend-specific
// checks (known distro/release, ...) are the driver's validate().
Result<MachineSpec> parseSpec(const SpecMap& raw, const Limits& limits);

// True for the keys of the contract; lets the bus layer name an unknown key
// as unknown before it looks at the value's type.
bool isSpecKey(std::string_view key);
// Every key of the contract, in one place: tests and fuzzers that must cover
// them all read it here instead of keeping a copy that could go stale.
std::vector<std::string_view> specKeys();

// Wipes the credentials (password, password_hash, wireguard_config) once a
// job no longer needs them, so a finished job kept for ListJobs holds none.
void dropCredentials(MachineSpec& spec);

// Applies clone overrides on top of a source machine's spec.
MachineSpec mergeSpec(const MachineSpec& base, const MachineSpec& overrides);

// A JSON rendering without secrets (password / wireguard_config are left
// out), for the registry, the audit trail and DRY_RUN plans.
std::string specToJson(const MachineSpec& spec);
Result<MachineSpec> specFromJson(const std::string& json);

}  // namespace zenith::core
