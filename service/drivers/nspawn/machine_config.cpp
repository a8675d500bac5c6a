#include "drivers/nspawn/machine_config.h"

#include <systemd/sd-id128.h>

#include <cstring>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "drivers/nspawn/rootfs_files.h"
#include "drivers/nspawn/root_password.h"
#include "drivers/nspawn/uid_range.h"

namespace zenith::drivers::nspawn {

namespace {
constexpr std::string_view kLegacyNetworkdFile = "etc/systemd/network/80-zenith-host0.network";
}  // namespace

std::string renderNspawnSettings(const NspawnSettings& s)
{
    std::string out = "# Written by zenith-provisionerd; changes are lost when the machine is re-created.\n";
    // NotifyReady=yes: "running" means the machine's init is up, under the
    // supervised runner (which also passes --notify-ready=yes) and under
    // systemd-nspawn@.service alike (its Type=notify start then waits for it).
    out += fmt::format("[Exec]\nBoot=yes\nNotifyReady=yes\nHostname={}\n", s.hostname);
    // The tenant's root is never the host's root.
    if (s.uidShift)
        out += fmt::format("PrivateUsers={}:{}\n", s.uidShift, kUidRangeSize);
    out += "\n[Network]\nPrivate=yes\n";
    // A veth is only useful with somewhere to plug it (a bridge); otherwise
    // the machine gets no network at all. Port forwards are not nspawn's
    // Port= but the daemon's own nftables table (core/net/nat_rules.h).
    if (!s.hostLink.empty() && !s.bridge.empty()) {
        // Our own name for the link; the daemon attaches it to the bridge.
        // VirtualEthernet=no outweighs the --network-veth of
        // systemd-nspawn@.service, which would add a second link.
        out += fmt::format("VirtualEthernet=no\nVirtualEthernetExtra={}:host0\n", s.hostLink);
    } else {
        if (!s.bridge.empty())
            out += fmt::format("VirtualEthernet=yes\nBridge={}\n", s.bridge);
    }
    if (s.uidShift)
        out += fmt::format("\n[Files]\nPrivateUsersOwnership={}\n", s.ownership);
    return out;
}

std::string renderHosts(const std::optional<std::string>& existing, std::string_view hostname)
{
    std::string own = fmt::format("127.0.1.1\t{}", hostname);
    if (!existing) {
        return fmt::format("127.0.0.1\tlocalhost\n{}\n::1\t\tlocalhost ip6-localhost ip6-loopback\n"
                           "ff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n",
                           own);
    }
    std::string out;
    bool replaced = false;
    std::istringstream in(*existing);
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with("127.0.1.1") && line.size() > 9 && (line[9] == ' ' || line[9] == '\t')) {
            if (!replaced)
                out += own + "\n";
            replaced = true;
            continue;
        }
        out += line + "\n";
    }
    if (!replaced)
        out += own + "\n";
    return out;
}

std::string renderNetworkdConfig(const StaticNetwork& n)
{
    std::string out = "# Written by zenith-provisionerd.\n[Match]\nName=host0\n\n[Network]\n";
    out += fmt::format("Address={}\n", n.address);
    if (!n.ipv6.empty())
        out += fmt::format("Address={}\n", n.ipv6);
    if (!n.gateway.empty())
        out += fmt::format("Gateway={}\n", n.gateway);
    if (!n.gateway6.empty())
        out += fmt::format("Gateway={}\n", n.gateway6);
    for (const auto& d : n.dns)
        out += fmt::format("DNS={}\n", d);
    // The tunnel rides on host0: networkd makes it when host0 is up.
    if (n.tunnel)
        out += fmt::format("Tunnel={}\n", kSixInFourLink);
    return out;
}

std::string renderSixInFourNetdev(const SixInFour& t)
{
    return fmt::format("# Written by zenith-provisionerd.\n[NetDev]\nName={}\nKind=sit\n\n[Tunnel]\nLocal={}\n"
                       "Remote={}\nTTL=255\n",
                       kSixInFourLink, t.local, t.remote);
}

std::string renderSixInFourNetwork(const SixInFour& t)
{
    // A point-to-point link: the default route needs no gateway address.
    return fmt::format("# Written by zenith-provisionerd.\n[Match]\nName={}\n\n[Network]\nAddress={}\n\n"
                       "[Route]\nDestination=::/0\n",
                       kSixInFourLink, t.address);
}

std::string renderResolvConf(const std::vector<std::string>& dns)
{
    std::string out = "# Written by zenith-provisionerd.\n";
    for (const auto& d : dns)
        out += fmt::format("nameserver {}\n", d);
    return out;
}

std::string renderAuthorizedKeys(const std::vector<std::string>& keys)
{
    std::string out;
    for (const auto& k : keys)
        out += k + "\n";
    return out;
}

core::Result<void> moveLegacyNetworkdFile(const std::string& rootfs)
{
    auto legacy = readFileInRoot(rootfs, kLegacyNetworkdFile);
    if (!legacy)
        return std::unexpected(legacy.error());
    if (!*legacy)
        return {};
    auto owner = treeRootOwner(rootfs);
    if (!owner)
        return std::unexpected(owner.error());
    if (auto r = writeFileInRoot(rootfs, kNetworkdFile, **legacy, 0644, *owner); !r)
        return r;
    return removeFileInRoot(rootfs, kLegacyNetworkdFile);
}

core::Result<void> applyIdentity(const std::string& rootfs, const Identity& id)
{
    // Root inside the container: host root for an unbooted or idmapped
    // tree, the range's first uid for a tree nspawn chowned.
    auto rootOwner = treeRootOwner(rootfs);
    if (!rootOwner)
        return std::unexpected(rootOwner.error());
    const FileOwner owner = *rootOwner;
    if (auto r = writeFileInRoot(rootfs, "etc/hostname", id.hostname + "\n", 0644, owner); !r)
        return r;
    auto hosts = readFileInRoot(rootfs, "etc/hosts");
    if (!hosts)
        return std::unexpected(hosts.error());
    if (auto r = writeFileInRoot(rootfs, "etc/hosts", renderHosts(*hosts, id.hostname), 0644, owner); !r)
        return r;

    // Every machine needs its own id (journal, DHCP client id, D-Bus); the
    // base image carries the id of the host that built it.
    sd_id128_t mid;
    if (int r = sd_id128_randomize(&mid); r < 0)
        return core::fail(core::ErrorCode::BackendFailed, fmt::format("cannot make a machine-id: {}", std::strerror(-r)));
    char hex[SD_ID128_STRING_MAX];
    if (auto r = writeFileInRoot(rootfs, "etc/machine-id", std::string(sd_id128_to_string(mid, hex)) + "\n", 0444,
                                 owner);
        !r)
        return r;

    if (id.passwordHash) {
        auto shadow = readFileInRoot(rootfs, "etc/shadow");
        if (!shadow)
            return std::unexpected(shadow.error());
        if (!*shadow)
            return core::fail(core::ErrorCode::BackendFailed, rootfs + "/etc/shadow is missing");
        auto mode = fileModeInRoot(rootfs, "etc/shadow");
        if (!mode)
            return std::unexpected(mode.error());
        auto updated = replaceShadowPassword(**shadow, "root", *id.passwordHash);
        if (!updated)
            return std::unexpected(updated.error());
        if (auto r = writeFileInRoot(rootfs, "etc/shadow", *updated, mode->first, mode->second); !r)
            return r;
    }

    if (id.authorizedKeys) {
        if (auto r = makeDirsInRoot(rootfs, "root/.ssh", 0700, owner); !r)
            return r;
        if (auto r = writeFileInRoot(rootfs, "root/.ssh/authorized_keys", renderAuthorizedKeys(*id.authorizedKeys), 0600,
                                     owner);
            !r)
            return r;
    }

    if (id.network) {
        if (auto r = makeDirsInRoot(rootfs, "etc/systemd/network", 0755, owner); !r)
            return r;
        // networkd takes the first file (by name, across its directories)
        // that matches a link: ours must sort before systemd's own
        // 80-container-host0.network (DHCP and link-local only).
        if (auto r = writeFileInRoot(rootfs, kNetworkdFile, renderNetworkdConfig(*id.network), 0644, owner); !r)
            return r;
        // Trees configured by earlier versions had ours after systemd's.
        if (auto r = removeFileInRoot(rootfs, kLegacyNetworkdFile); !r)
            return r;
        // The 6in4 tunnel's files, or none (a clone of a machine that had
        // one may not).
        for (auto [file, text] :
             {std::pair{kSixInFourNetdevFile, id.network->tunnel ? renderSixInFourNetdev(*id.network->tunnel) : ""},
              std::pair{kSixInFourNetworkFile, id.network->tunnel ? renderSixInFourNetwork(*id.network->tunnel) : ""}}) {
            auto r = id.network->tunnel ? writeFileInRoot(rootfs, file, text, 0644, owner) : removeFileInRoot(rootfs, file);
            if (!r)
                return r;
        }
        for (auto [dir, unit] : {std::pair{"multi-user.target.wants", "systemd-networkd.service"},
                                 std::pair{"sockets.target.wants", "systemd-networkd.socket"}}) {
            std::string wants = fmt::format("etc/systemd/system/{}", dir);
            if (auto r = makeDirsInRoot(rootfs, wants, 0755, owner); !r)
                return r;
            if (auto r = symlinkInRoot(rootfs, wants + "/" + unit, std::string("/lib/systemd/system/") + unit); !r)
                return r;
        }
        if (!id.network->dns.empty())
            if (auto r = writeFileInRoot(rootfs, "etc/resolv.conf", renderResolvConf(id.network->dns), 0644, owner);
                !r)
                return r;
    }
    return {};
}

core::Result<void> writeNspawnSettings(const std::string& path, const NspawnSettings& s)
{
    std::filesystem::path p(path);
    return writeFileInRoot(p.parent_path().string(), p.filename().string(), renderNspawnSettings(s), 0644);
}

}  // namespace zenith::drivers::nspawn
