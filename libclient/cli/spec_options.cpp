#include "spec_options.h"

#include <charconv>
#include <fstream>
#include <limits>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "sizes.h"

namespace zenithctl {

using zenith::client::ErrorKind;
using zenith::client::makeError;
using zenith::client::Result;
using zenith::client::Spec;
using zenith::client::SpecType;
using zenith::client::SpecValue;

namespace {

std::unexpected<zenith::client::Error> invalid(std::string message)
{
    return std::unexpected(makeError(ErrorKind::InvalidArgs, std::move(message)));
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

std::vector<std::string_view> splitList(std::string_view text)
{
    std::vector<std::string_view> out;
    if (trim(text).empty())
        return out;
    size_t start = 0;
    for (;;) {
        size_t comma = text.find(',', start);
        out.push_back(trim(text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
        if (comma == std::string_view::npos)
            return out;
        start = comma + 1;
    }
}

template <typename T>
Result<T> parseUnsigned(std::string_view text, std::string_view key)
{
    T value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
        return invalid(fmt::format("{}: '{}' is not an unsigned number{}", key, text,
                                   ec == std::errc::result_out_of_range ? " in range" : ""));
    return value;
}

Result<bool> parseBool(std::string_view text, std::string_view key)
{
    for (auto yes : {"true", "yes", "on", "1"})
        if (text == yes)
            return true;
    for (auto no : {"false", "no", "off", "0"})
        if (text == no)
            return false;
    return invalid(fmt::format("{}: '{}' is not a boolean (true|false|yes|no|on|off|1|0)", key, text));
}

Result<std::vector<zenith::client::PortForward>> parsePorts(std::string_view text, std::string_view key)
{
    std::vector<zenith::client::PortForward> out;
    for (auto item : splitList(text)) {
        auto first = item.find(':');
        auto second = first == std::string_view::npos ? first : item.find(':', first + 1);
        if (second == std::string_view::npos || first == 0)
            return invalid(fmt::format("{}: '{}' is not PROTO:HOST_PORT:MACHINE_PORT (e.g. tcp:8080:80)", key, item));
        auto host = parseUnsigned<uint16_t>(item.substr(first + 1, second - first - 1), key);
        auto guest = parseUnsigned<uint16_t>(item.substr(second + 1), key);
        if (!host || !guest || *host == 0 || *guest == 0)
            return invalid(fmt::format("{}: '{}' needs ports between 1 and 65535", key, item));
        out.push_back({std::string(item.substr(0, first)), *host, *guest});
    }
    return out;
}

Result<std::map<std::string, std::string>> parseStringMap(std::string_view text, std::string_view key)
{
    std::map<std::string, std::string> out;
    for (auto item : splitList(text)) {
        auto eq = item.find('=');
        if (eq == std::string_view::npos || eq == 0)
            return invalid(fmt::format("{}: '{}' is not NAME=VALUE", key, item));
        out[std::string(trim(item.substr(0, eq)))] = std::string(trim(item.substr(eq + 1)));
    }
    return out;
}

Result<void> addSshKeys(Spec& spec, const std::string& value)
{
    std::ifstream file(value);
    if (!file) {
        spec.addSshAuthorizedKey(value);
        return {};
    }
    std::string line;
    bool any = false;
    while (std::getline(file, line)) {
        auto key = trim(line);
        if (key.empty() || key.front() == '#')
            continue;
        spec.addSshAuthorizedKey(std::string(key));
        any = true;
    }
    if (!any)
        return invalid(fmt::format("ssh_authorized_keys: the file '{}' holds no key", value));
    return {};
}

}  // namespace

void addSpecOptions(CLI::App& cmd, SpecOptions& o, SpecOptionSet set)
{
    const bool machine = set == SpecOptionSet::Machine;
    cmd.add_option("--distro", o.distro, "Distribution (debian, ubuntu)");
    cmd.add_option("--release", o.release, "Release, e.g. bookworm, bullseye");
    cmd.add_option("--arch", o.arch, "Architecture (amd64, arm64); default: the host's");
    if (machine)
        cmd.add_option("--template", o.templateName, "Create from this template instead of a base image");
    cmd.add_option("--ssh-key", o.sshKeys, "Authorized SSH public key, or a file of them (repeatable)")->allow_extra_args(false);
    cmd.add_option("--cpu", o.cpu, "CPU quota in percent, 100 = one core");
    auto* memory = cmd.add_option("--memory", o.memory, "Memory limit, e.g. 512M, 8G (a bare number is bytes)");
    cmd.add_option("--mem", o.memoryMiB, "Memory limit in MiB as cloudpod-create.sh took it (2048 = 2G), or with a "
                                         "unit as --memory")
        ->excludes(memory);
    cmd.add_option("--disk", o.disk, "Disk limit, e.g. 20G");
    cmd.add_option("--swap", o.swap, "Swap limit, e.g. 1G");
    cmd.add_option("--cores", o.cores, "Number of CPU cores");
    if (machine)
        cmd.add_option("--vmid", o.vmid, "Proxmox guest id (100-999999999); default: the next free one")
            ->check(numberInRange(kVmidMin, kVmidMax, "a Proxmox guest id"));
    cmd.add_option("--node", o.node, "Proxmox node to run on");
    cmd.add_option("--storage", o.storage, "Proxmox storage for the disks");
    cmd.add_option("--iso", o.iso, "proxmox-qemu: the installation ISO, a volid (local:iso/x.iso) or a file name on any node");
    cmd.add_option("--os", o.osType, "proxmox-qemu: OS type (l26, win10, win11, ... or ubuntu, debian, centos, rocky, "
                                     "alma, windows)");
    cmd.add_option("--bios", o.bios, "proxmox-qemu: seabios or ovmf (UEFI; the default for Windows)");
    cmd.add_option("--virtio-iso", o.virtioIso, "proxmox-qemu: the VirtIO driver ISO for Windows (default: the newest "
                                                "virtio-win*.iso on the node)");
    cmd.add_option("--ostemplate", o.ostemplate, "proxmox-lxc: the container template (local:vztmpl/... or a file name)");
    cmd.add_option("--bridge", o.bridge, "Host bridge to attach to");
    if (machine) {
        auto* ipv4 = cmd.add_option("--ipv4,--ip", o.ipv4,
                                    "a.b.c.d/len, or 'auto' for the next free pool address (passed on as given: "
                                    "the daemon wants the /len)");
        cmd.add_option("--last-octet", o.lastOctet,
                       "The address ending in N (1-254) of the address pool (a /24), instead of --ipv4")
            ->check(numberInRange(kLastOctetMin, kLastOctetMax, "the last octet of a pool address"))
            ->excludes(ipv4);
    }
    cmd.add_option("--gateway", o.gateway, "IPv4 gateway");
    cmd.add_option("--ipv6", o.ipv6, "addr/len, or 'auto' for the next free address of the pool's IPv6 subnet");
    cmd.add_option("--gateway6", o.gateway6, "IPv6 gateway");
    cmd.add_option("--dns", o.dns, "DNS server (repeatable)")->allow_extra_args(false);
    cmd.add_option("--set", o.sets, "Any spec key, typed by the contract: KEY=VALUE (repeatable)")->allow_extra_args(false);
}

CLI::Validator numberInRange(uint32_t min, uint32_t max, std::string what)
{
    const std::string about = what.empty() ? std::string() : fmt::format(" ({})", what);
    return CLI::Validator(
        [min, max, about](std::string& text) -> std::string {
            uint64_t value = 0;
            auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
            if (text.empty() || ec == std::errc::invalid_argument || end != text.data() + text.size())
                return fmt::format("'{}' is not a number: accepted {}-{}{}", text, min, max, about);
            if (ec == std::errc::result_out_of_range || value < min || value > max)
                return fmt::format("{} is out of range: accepted {}-{}{}", text, min, max, about);
            return {};
        },
        fmt::format("{}-{}", min, max));
}

Result<std::pair<std::string, std::string>> splitAssignment(std::string_view text)
{
    auto eq = text.find('=');
    if (eq == std::string_view::npos || eq == 0)
        return invalid(fmt::format("--set: '{}' is not KEY=VALUE", text));
    return std::pair{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

Result<uint32_t> parsePercent(std::string_view text, std::string_view key)
{
    if (text.ends_with('%'))
        text.remove_suffix(1);
    return parseUnsigned<uint32_t>(text, key);
}

// A parsed value as a SpecValue (T picks the alternative), or the parse error.
template <typename T>
Result<SpecValue> toSpecValue(Result<T> parsed)
{
    if (!parsed)
        return std::unexpected(std::move(parsed.error()));
    return SpecValue(std::move(*parsed));
}

Result<SpecValue> parseSpecValue(std::string_view key, std::string_view text)
{
    auto type = zenith::client::specKeyType(key);
    if (!type) {
        std::string known;
        for (const auto& k : zenith::client::specKeys())
            known += (known.empty() ? "" : ", ") + k;
        return invalid(fmt::format("unknown spec key '{}' (known: {})", key, known));
    }
    if (zenith::client::isSecretSpecKey(key) || key == "password_hash")
        return invalid(fmt::format("{}: not accepted on the command line, where every user can read it; use {}", key,
                                   key == "password"        ? "--password-stdin or --password-file"
                                   : key == "password_hash" ? "--password-hash-file"
                                                            : "--wireguard-config-file"));
    switch (*type) {
    case SpecType::String: return SpecValue(std::string(text));
    case SpecType::Bool: return toSpecValue(parseBool(text, key));
    case SpecType::UInt32:
        return toSpecValue(key == "cpu_quota" ? parsePercent(text, key) : parseUnsigned<uint32_t>(text, key));
    case SpecType::UInt64: return toSpecValue(parseSize(text, key));
    case SpecType::StringList: {
        std::vector<std::string> items;
        if (key == "ssh_authorized_keys") {
            // Keys may hold commas (from="a,b" options): one key per --set.
            items.emplace_back(trim(text));
        } else {
            for (auto item : splitList(text)) {
                if (item.empty())
                    return invalid(fmt::format("{}: empty element in '{}'", key, text));
                items.emplace_back(item);
            }
        }
        return SpecValue(std::move(items));
    }
    case SpecType::Ports: return toSpecValue(parsePorts(text, key));
    case SpecType::StringMap: return toSpecValue(parseStringMap(text, key));
    }
    return invalid(fmt::format("{}: unsupported type", key));
}

Result<Spec> buildSpec(const SpecOptions& o)
{
    Spec spec;
    if (o.distro) spec.setDistro(*o.distro);
    if (o.release) spec.setRelease(*o.release);
    if (o.arch) spec.setArch(*o.arch);
    if (o.templateName) spec.setTemplate(*o.templateName);
    if (o.bridge) spec.setBridge(*o.bridge);
    if (o.ipv4) spec.setIpv4(*o.ipv4);
    if (o.gateway) spec.setGateway(*o.gateway);
    if (o.ipv6) spec.setIpv6(*o.ipv6);
    if (o.gateway6) spec.setGateway6(*o.gateway6);
    if (o.cores) spec.setCores(*o.cores);
    if (o.vmid) spec.setVmid(*o.vmid);
    if (o.node) spec.setNode(*o.node);
    if (o.storage) spec.setStorage(*o.storage);
    if (o.iso) spec.setIso(*o.iso);
    if (o.osType) spec.setOsType(*o.osType);
    if (o.bios) spec.setBios(*o.bios);
    if (o.virtioIso) spec.setVirtioIso(*o.virtioIso);
    if (o.ostemplate) (void)spec.set("ostemplate", zenith::client::SpecValue(std::string(*o.ostemplate)));
    if (o.lastOctet) (void)spec.set("last_octet", *o.lastOctet);
    if (!o.dns.empty()) spec.setDns(o.dns);
    if (o.cpu) {
        auto v = parsePercent(*o.cpu, "cpu_quota");
        if (!v)
            return std::unexpected(v.error());
        spec.setCpuQuota(*v);
    }
    const std::pair<const std::optional<std::string>*, const char*> sizes[] = {
        {&o.memory, "memory_max"}, {&o.disk, "disk_max"}, {&o.swap, "swap_max"}};
    for (auto [option, key] : sizes) {
        if (!*option)
            continue;
        auto v = parseSize(**option, key);
        if (!v)
            return std::unexpected(v.error());
        (void)spec.set(key, *v);
    }
    if (o.memoryMiB) {
        auto v = parseSizeMiB(*o.memoryMiB, "memory_max");
        if (!v)
            return std::unexpected(v.error());
        spec.setMemoryMax(*v);
    }
    for (const auto& key : o.sshKeys)
        if (auto added = addSshKeys(spec, key); !added)
            return std::unexpected(added.error());

    for (const auto& assignment : o.sets) {
        auto kv = splitAssignment(assignment);
        if (!kv)
            return std::unexpected(kv.error());
        auto value = parseSpecValue(kv->first, kv->second);
        if (!value)
            return std::unexpected(value.error());
        auto* list = std::get_if<std::vector<std::string>>(&*value);
        auto* existing = spec.get(kv->first);
        if (list && existing) {
            auto merged = std::get<std::vector<std::string>>(*existing);
            merged.insert(merged.end(), list->begin(), list->end());
            (void)spec.set(kv->first, std::move(merged));
        } else if (auto set = spec.set(kv->first, std::move(*value)); !set) {
            return std::unexpected(set.error());
        }
    }
    return spec;
}

Result<zenith::client::PortForward> parseForward(std::string_view text, bool withMachinePort)
{
    const char* form = withMachinePort ? "PROTO:HOST_PORT:MACHINE_PORT (e.g. tcp:8022:22)" : "PROTO:HOST_PORT (e.g. tcp:8022)";
    zenith::client::PortForward f;
    if (withMachinePort) {
        auto ports = parsePorts(text, "forward");
        if (!ports)
            return std::unexpected(ports.error());
        if (ports->size() != 1)
            return invalid(fmt::format("forward: '{}' is not {}", text, form));
        f = ports->front();
    } else {
        auto colon = text.find(':');
        if (colon == std::string_view::npos)
            return invalid(fmt::format("forward: '{}' is not {}", text, form));
        auto host = parseUnsigned<uint16_t>(text.substr(colon + 1), "forward");
        if (!host || *host == 0)
            return invalid(fmt::format("forward: '{}' is not {}", text, form));
        f.proto = std::string(text.substr(0, colon));
        f.hostPort = *host;
    }
    if (f.proto != "tcp" && f.proto != "udp")
        return invalid(fmt::format("forward: '{}' is not {}; PROTO is tcp or udp", text, form));
    return f;
}

}  // namespace zenithctl
