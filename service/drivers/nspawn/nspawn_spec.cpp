#include "drivers/nspawn/nspawn_spec.h"

#include <algorithm>

#include <fmt/format.h>

#include "drivers/nspawn/apt_mirror.h"
#include "drivers/nspawn/root_password.h"

namespace zenith::drivers::nspawn {

namespace {

using core::ErrorCode;

std::string joined(const std::vector<std::string_view>& v)
{
    std::string out;
    for (auto s : v)
        out += (out.empty() ? "" : ", ") + std::string(s);
    return out;
}

bool validInterfaceName(std::string_view s)
{
    return !s.empty() && s.size() <= 15 && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    });
}

// A machine joins the default bridge or one the admin listed: a bridge
// decides which network a tenant is on.
core::Result<void> checkBridgeAllowed(const std::string& bridge, const NspawnOptions& o)
{
    if (bridge.empty() || bridge == o.bridge ||
        std::find(o.bridges.begin(), o.bridges.end(), bridge) != o.bridges.end())
        return {};
    std::vector<std::string_view> allowed;
    if (!o.bridge.empty())
        allowed.push_back(o.bridge);
    allowed.insert(allowed.end(), o.bridges.begin(), o.bridges.end());
    return core::fail(ErrorCode::InvalidArgs,
                      fmt::format("bridge: {} is not allowed (allowed: {}; the admin lists bridges in [Nspawn] "
                                  "Bridge= and Bridges=)",
                                  bridge, allowed.empty() ? std::string("none") : joined(allowed)));
}

std::string rangesText(const std::vector<core::PortRange>& ranges)
{
    std::string out;
    for (const auto& r : ranges)
        out += (out.empty() ? "" : " ") +
               (r.first == r.last ? std::to_string(r.first) : fmt::format("{}-{}", r.first, r.last));
    return out;
}

// Published host ports: within HostPorts= when the admin set it; else from
// 1024 up and never one the host serves itself (the forward would take the
// host service's connections).
core::Result<void> checkHostPorts(const core::MachineSpec& s, const NspawnOptions& o, const ListeningPorts& listening)
{
    constexpr uint16_t kFirstUnprivileged = 1024;
    for (const auto& p : s.ports.value_or(std::vector<core::PortForward>{})) {
        if (o.hostPortsSet) {
            bool inside = std::any_of(o.hostPorts.begin(), o.hostPorts.end(),
                                      [&](const core::PortRange& r) { return r.contains(p.hostPort); });
            if (!inside)
                return core::fail(ErrorCode::InvalidArgs,
                                  fmt::format("ports: host port {}/{} is outside [Nspawn] HostPorts= ({})", p.hostPort,
                                              p.proto, rangesText(o.hostPorts)));
            continue;
        }
        if (p.hostPort < kFirstUnprivileged)
            return core::fail(ErrorCode::InvalidArgs,
                              fmt::format("ports: host port {}/{} is below {}; the admin can allow it in [Nspawn] "
                                          "HostPorts=",
                                          p.hostPort, p.proto, kFirstUnprivileged));
        if (listening.contains({p.proto, p.hostPort}))
            return core::fail(ErrorCode::InvalidArgs,
                              fmt::format("ports: host port {}/{} is in use by the host itself; the admin can allow "
                                          "it in [Nspawn] HostPorts=",
                                          p.hostPort, p.proto));
    }
    return {};
}

}  // namespace

ImageKey imageKeyFor(const core::MachineSpec& spec, std::string_view hostArch)
{
    std::string distro = spec.distro.value_or(std::string(kDefaultDistro));
    std::string release = canonicalRelease(distro, spec.release.value_or(std::string(defaultRelease(distro))));
    std::string arch = spec.arch.value_or(std::string(hostArch));
    return {distro, release, arch};
}

std::string effectiveBridge(const core::MachineSpec& spec, const NspawnOptions& options)
{
    return spec.bridge.value_or(options.bridge);
}

core::Result<std::string> mirrorFor(const ImageKey& key, const NspawnOptions& options)
{
    if (key.distro == "ubuntu") {
        // Ubuntu keeps amd64 (and i386) in its archive, every other
        // architecture in its ports archive.
        const bool ports = key.arch != "amd64" && key.arch != "i386";
        const std::string& m = ports ? options.ubuntuPortsMirror : options.ubuntuMirror;
        if (!m.empty())
            return m;
        return std::string(ports ? kUbuntuPortsArchive : kUbuntuArchive);
    }
    return resolveDebianMirror(options.debianMirror, options.aptDir);
}

namespace {

// ipv6_mode 6in4: a sit tunnel inside the machine from its IPv4 address
// (tunnel.local, by default its ipv4) to the broker (tunnel.remote), with
// the IPv6 address tunnel.address on it and the default IPv6 route through
// it.
core::Result<void> validateSixInFour(const core::MachineSpec& s, const NspawnOptions& options)
{
    const bool sixInFour = s.ipv6Mode && *s.ipv6Mode == "6in4";
    if (s.tunnel && !sixInFour)
        return core::fail(ErrorCode::InvalidArgs, "tunnel: needs ipv6_mode 6in4");
    if (!sixInFour)
        return {};
    if (!s.tunnel || !s.tunnel->contains("remote") || !s.tunnel->contains("address"))
        return core::fail(ErrorCode::InvalidArgs, "tunnel: ipv6_mode 6in4 needs tunnel.remote and tunnel.address "
                                                  "(tunnel.local defaults to the machine's ipv4)");
    if (!s.ipv4)
        return core::fail(ErrorCode::InvalidArgs,
                          "ipv6_mode: 6in4 needs ipv4 (the tunnel leaves from the machine's address)");
    if (s.ipv6 || s.gateway6)
        return core::fail(ErrorCode::InvalidArgs, fmt::format("{}: not with ipv6_mode 6in4 (the machine's IPv6 "
                                                              "address is tunnel.address)",
                                                              s.ipv6 ? "ipv6" : "gateway6"));
    // Last: the spec is right, the host cannot do it.
    if (!options.sitTunnels)
        return core::fail(ErrorCode::BackendUnavailable,
                          "ipv6_mode: 6in4 needs sit tunnels, and this host's kernel cannot make them (no sit "
                          "module); a container uses the host's kernel");
    return {};
}

}  // namespace

core::Result<void> validateNspawnSpec(const core::MachineSpec& s, const NspawnOptions& options,
                                      std::string_view hostArch, const ListeningPorts& listening,
                                      const std::vector<std::string>& runnableForeign)
{
    auto unsupported = [](std::string_view key, std::string_view why) {
        return core::fail(ErrorCode::InvalidArgs, fmt::format("{}: not supported by the nspawn backend ({})", key, why));
    };
    // node, vmid, storage, iso, os_type, bios, virtio_iso are Proxmox keys:
    // this backend registers none, so parseSpec already refused them.
    if (s.wireguardConfig)
        return unsupported("wireguard_config", "WireGuard is not set up by this backend");
    if (s.ipv6Mode && *s.ipv6Mode != "none" && *s.ipv6Mode != "native" && *s.ipv6Mode != "6in4")
        return unsupported("ipv6_mode", "only none, native and 6in4");
    if (auto r = validateSixInFour(s, options); !r)
        return r;
    // Accepted and then ignored would be worse than refused: nothing here
    // enforces these yet.
    if (s.diskMax)
        return unsupported("disk_max", "no disk quota is enforced for containers yet");
    if (s.swapMax)
        return unsupported("swap_max", "no swap limit is enforced for containers yet");
    if (s.cores)
        return unsupported("cores", "no CPU set is enforced for containers yet; use cpu_quota");

    auto key = imageKeyFor(s, hostArch);
    auto distros = knownDistros();
    if (std::find(distros.begin(), distros.end(), key.distro) == distros.end())
        return core::fail(ErrorCode::InvalidArgs,
                          fmt::format("distro: unknown distribution \"{}\" (known: {})", key.distro, joined(distros)));
    auto releases = knownReleases(key.distro);
    if (std::find(releases.begin(), releases.end(), key.release) == releases.end())
        return core::fail(ErrorCode::InvalidArgs, fmt::format("release: unknown {} release \"{}\" (known: {})",
                                                              key.distro, key.release, joined(releases)));
    if (key.arch != hostArch) {
        const auto binfmt = qemuBinfmtName(key.arch);
        if (!binfmt)
            return core::fail(ErrorCode::InvalidArgs,
                              fmt::format("arch: \"{}\" is not an architecture this backend builds (amd64, arm64)",
                                          key.arch));
        if (std::find(runnableForeign.begin(), runnableForeign.end(), key.arch) == runnableForeign.end())
            return core::fail(ErrorCode::BackendUnavailable,
                              fmt::format("arch: this host runs {} containers; {} ones need user-mode emulation: "
                                          "install qemu-user-static (its binfmt_misc handler {} with flag F)",
                                          hostArch, key.arch, *binfmt));
    }

    if (s.password && s.passwordHash)
        return core::fail(ErrorCode::InvalidArgs, "password_hash: give either password or password_hash, not both");
    if (s.passwordHash)
        if (auto r = checkPasswordHash(*s.passwordHash); !r)
            return r;
    if (s.sshAuthorizedKeys)
        for (const auto& k : *s.sshAuthorizedKeys)
            if (k.empty() || k.find_first_of("\r\n") != std::string::npos)
                return core::fail(ErrorCode::InvalidArgs,
                                  "ssh_authorized_keys: each entry must be one non-empty line");

    if (s.bridge && !validInterfaceName(*s.bridge))
        return core::fail(ErrorCode::InvalidArgs, fmt::format("bridge: \"{}\" is not an interface name", *s.bridge));
    std::string bridge = effectiveBridge(s, options);
    if (auto r = checkBridgeAllowed(bridge, options); !r)
        return r;
    if (auto r = checkHostPorts(s, options, listening); !r)
        return r;
    // A static address (explicit, or `auto`: the next free one of the pool,
    // leased when the job runs) is configured on the container's veth;
    // without a bridge that veth leads nowhere.
    if (s.ipv4 && bridge.empty())
        return core::fail(ErrorCode::InvalidArgs,
                          "ipv4: a static address needs a bridge (spec key bridge, or Bridge= in [Nspawn])");
    if (s.gateway6 && !s.ipv6)
        return core::fail(ErrorCode::InvalidArgs, "gateway6: needs ipv6");
    if (s.ipv6 && (!s.ipv4 || bridge.empty()))
        return core::fail(ErrorCode::InvalidArgs, "ipv6: needs ipv4 and a bridge as well");
    if (s.gateway && !s.ipv4)
        return core::fail(ErrorCode::InvalidArgs, "gateway: needs ipv4");
    if (s.dns && !s.ipv4)
        return core::fail(ErrorCode::InvalidArgs, "dns: needs ipv4");
    if (s.ports)
        for (const auto& p : *s.ports)
            if ((p.proto != "tcp" && p.proto != "udp") || p.hostPort == 0 || p.machinePort == 0)
                return core::fail(ErrorCode::InvalidArgs,
                                  fmt::format("ports: ({}, {}, {}) needs proto tcp or udp and non-zero ports", p.proto,
                                              p.hostPort, p.machinePort));
    // A forward's target is the machine's IPv4 address on its bridge.
    if (s.ports && !s.ports->empty() && !s.ipv4)
        return core::fail(ErrorCode::InvalidArgs, "ports: needs ipv4 (the machine's address on a bridge, which the "
                                                  "forwards lead to)");
    if (s.templateName && (s.templateName->empty() || s.templateName->find('/') != std::string::npos ||
                           s.templateName->starts_with('.')))
        return core::fail(ErrorCode::InvalidArgs, "template: not a machine name");
    return {};
}

}  // namespace zenith::drivers::nspawn
