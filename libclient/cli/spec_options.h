// The spec options of `create` / `clone` and the --set KEY=VALUE escape
// hatch, typed by each key's contract type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "zenith/client/spec.h"

namespace CLI {
class App;
class Validator;
}

namespace zenithctl {

struct SpecOptions {
    std::optional<std::string> distro, release, arch, templateName, bridge, ipv4, gateway, ipv6, gateway6;
    std::optional<std::string> cpu, memory, disk, swap;
    std::optional<std::string> memoryMiB;  // --mem: a bare number is MiB
    std::optional<std::string> node, storage;
    std::optional<std::string> iso, osType, bios, virtioIso, ostemplate;  // proxmox-qemu / proxmox-lxc create
    std::optional<uint32_t> cores, vmid, lastOctet;
    std::vector<std::string> sshKeys;  // a key, or a file of keys
    std::vector<std::string> dns;
    std::vector<std::string> sets;     // KEY=VALUE
};

// Proxmox guest ids and the last octet of a /24 pool address, as the
// daemon accepts them (checked here too, so a typo is a usage error).
inline constexpr uint32_t kVmidMin = 100, kVmidMax = 999999999;
inline constexpr uint32_t kLastOctetMin = 1, kLastOctetMax = 254;

// Which options a command takes: `create` and `clone` all of them;
// `cloudpod` gets its template (the clone source), vmid and address from
// its own arguments, so not --template, --vmid, --ipv4/--ip, --last-octet.
enum class SpecOptionSet { Machine, CloudPod };

// Registers the options on a subcommand (create and clone share them).
void addSpecOptions(CLI::App& command, SpecOptions& options, SpecOptionSet set = SpecOptionSet::Machine);

// A CLI11 check that an argument is a decimal number in [min, max]; its
// message names the range (CLI11 puts the option's name in front).
CLI::Validator numberInRange(uint32_t min, uint32_t max, std::string what = {});

// "KEY=VALUE" -> (key, value); InvalidArgs without '=' or with an empty key.
zenith::client::Result<std::pair<std::string, std::string>> splitAssignment(std::string_view text);

// Types `text` as `key`'s contract type:
//   s: as is          b: true|false|yes|no|on|off|1|0
//   u: decimal (cpu_quota may end in '%')    t: a size (512M, 8G, bytes)
//   as: comma-separated (ssh_authorized_keys: one key per --set)
//   a(sqq) ports: PROTO:HOST:MACHINE[,...]   a{sv} tunnel: k=v[,k=v...]
// Secrets (password, wireguard_config) are refused: argv is world-readable.
zenith::client::Result<zenith::client::SpecValue> parseSpecValue(std::string_view key, std::string_view text);

// One port forward: "tcp:8022:22", or "tcp:8022" without the machine port
// (`forward` / `unforward`). InvalidArgs naming the form otherwise.
zenith::client::Result<zenith::client::PortForward> parseForward(std::string_view text, bool withMachinePort);

// "150" or "150%" -> 150, naming `key` on error.
zenith::client::Result<uint32_t> parsePercent(std::string_view text, std::string_view key);

// Dedicated options first (--mem after --memory; they exclude each other on
// the command line), then every --set in order (a later --set of a
// list key appends, of any other key replaces). --ssh-key values that name a
// readable file contribute each key line of that file.
zenith::client::Result<zenith::client::Spec> buildSpec(const SpecOptions& options);

}  // namespace zenithctl
