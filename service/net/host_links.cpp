#include "net/host_links.h"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "drivers/unique_fd.h"

namespace zenith::net {

LinkKind linkKind(const std::string& name)
{
    if (name.empty() || name.size() >= IFNAMSIZ)
        return LinkKind::Missing;
    drivers::UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (sock.get() < 0)
        return LinkKind::Unknown;
    ethtool_drvinfo info{};
    info.cmd = ETHTOOL_GDRVINFO;
    ifreq req{};
    std::memcpy(req.ifr_name, name.data(), name.size());
    req.ifr_data = reinterpret_cast<char*>(&info);
    if (::ioctl(sock.get(), SIOCETHTOOL, &req) != 0) {
        // ENODEV: no such link. EOPNOTSUPP: a link whose driver says
        // nothing about itself (loopback), which is no bridge.
        if (errno == ENODEV)
            return LinkKind::Missing;
        return errno == EOPNOTSUPP ? LinkKind::Other : LinkKind::Unknown;
    }
    return std::strncmp(info.driver, "bridge", sizeof info.driver) == 0 ? LinkKind::Bridge : LinkKind::Other;
}

bool linkExists(const std::string& name)
{
    return !name.empty() && name.size() < IFNAMSIZ && ::if_nametoindex(name.c_str()) != 0;
}

core::Result<void> attachToBridge(const std::string& link, const std::string& bridge)
{
    auto failed = [](const std::string& what, int err) {
        return core::fail(core::ErrorCode::BackendFailed, fmt::format("cannot {}: {}", what, std::strerror(err)));
    };
    const std::string attach = fmt::format("attach {} to bridge {}", link, bridge);
    if (link.empty() || link.size() >= IFNAMSIZ || bridge.empty() || bridge.size() >= IFNAMSIZ)
        return failed(attach, EINVAL);
    const unsigned index = ::if_nametoindex(link.c_str());
    if (index == 0)
        return failed(attach, errno);
    drivers::UniqueFd sock(::socket(AF_LOCAL, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (sock.get() < 0)
        return failed(attach, errno);
    ifreq req{};
    std::memcpy(req.ifr_name, bridge.data(), bridge.size());
    req.ifr_ifindex = static_cast<int>(index);
    if (::ioctl(sock.get(), SIOCBRADDIF, &req) != 0)
        return failed(attach, errno);
    ifreq flags{};
    std::memcpy(flags.ifr_name, link.data(), link.size());
    if (::ioctl(sock.get(), SIOCGIFFLAGS, &flags) != 0)
        return failed("set up " + link, errno);
    flags.ifr_flags = static_cast<short>(flags.ifr_flags | IFF_UP);
    if (::ioctl(sock.get(), SIOCSIFFLAGS, &flags) != 0)
        return failed("set up " + link, errno);
    return {};
}

}  // namespace zenith::net
