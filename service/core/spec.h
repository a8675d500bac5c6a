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
#include "core/spec_key.h"
#include "core/spec_value.h"

namespace zenith::core {

// Accepted ranges for spec values ([Limits] in the config).
struct Limits {
    uint32_t cpuQuotaMin = 25, cpuQuotaMax = 400;                        // percent
    uint64_t memoryMin = 256ull << 20, memoryMax = 8ull << 30;           // bytes
    uint64_t diskMin = 5ull << 30, diskMax = 100ull << 30;               // bytes
    // The config keys these come from, for messages (a backend with its
    // own ranges, VMs, names its keys).
    std::string_view memoryKey = "[Limits] Memory", diskKey = "[Limits] Disk";
};

// Ranges for virtual machines ([Limits] VMCores=, VMMemory=, VMDisk=): a VM
// needs more than a container, and may have more.
struct VmLimits {
    uint32_t coresMin = 1, coresMax = 64;
    uint64_t memoryMin = 512ull << 20, memoryMax = 64ull << 30;
    uint64_t diskMin = 8ull << 30, diskMax = 2ull << 40;
};

// Values of backend keys (drivers' SpecKeyRule), each already checked: the
// accessors return nullopt for an absent key (or one of another type, which
// the rules make impossible).
struct BackendValues {
    std::map<std::string, SpecValue, std::less<>> values;

    bool has(std::string_view key) const { return values.find(key) != values.end(); }
    std::optional<std::string> text(std::string_view key) const;
    std::optional<uint32_t> number(std::string_view key) const;
    std::optional<uint64_t> size(std::string_view key) const;
    std::optional<bool> flag(std::string_view key) const;
    std::optional<std::vector<std::string>> list(std::string_view key) const;
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
    std::optional<std::string> pool;         // the address pool ([Pool.NAME]) ipv4 and ipv6 come from
    std::optional<std::string> gateway;
    std::optional<std::vector<std::string>> dns;
    std::optional<std::string> ipv6Mode;     // none|native|6in4|wireguard
    std::optional<std::string> ipv6;         // addr[/len] or "auto" (the pool's IPv6 part)
    std::optional<std::string> gateway6;
    std::optional<std::map<std::string, std::string>> tunnel;  // remote, local, address
    std::optional<Secret> wireguardConfig;   // holds a private key
    std::optional<std::vector<PortForward>> ports;
    // The keys only the machine's backend understands (node, vmid, iso,
    // os_type, ...), checked by the rules that backend registered.
    BackendValues backend;
};

// Converts and checks every key: unknown key, wrong type and out-of-range
// values are InvalidArgs errors whose message names the key. Keys beyond the
// common ones are those `backendKeys` (the driver's specKeys()) list; any
// other is unknown to `backend`. Checks that need the backend's
// configuration (known distro/release, ...) are the driver's validate().
Result<MachineSpec> parseSpec(const SpecMap& raw, const Limits& limits, SpecKeyRules backendKeys = {},
                              std::string_view backend = {});

// True for the common keys; lets the bus layer name an unknown key as
// unknown before it looks at the value's type (the engine adds the keys of
// its backends).
bool isSpecKey(std::string_view key);
// Every common key, in one place: tests and fuzzers that must cover them all
// read it here instead of keeping a copy that could go stale.
std::vector<std::string_view> specKeys();

// Wipes the credentials (password, password_hash, wireguard_config) once a
// job no longer needs them, so a finished job kept for ListJobs holds none.
void dropCredentials(MachineSpec& spec);

// Applies clone overrides on top of a source machine's spec.
MachineSpec mergeSpec(const MachineSpec& base, const MachineSpec& overrides);

// A JSON rendering without secrets (password / wireguard_config are left
// out), for the registry, the audit trail and DRY_RUN plans.
std::string specToJson(const MachineSpec& spec);
// `backendKeys`: the rules of the backend the spec was made for.
Result<MachineSpec> specFromJson(const std::string& json, SpecKeyRules backendKeys = {});

}  // namespace zenith::core
