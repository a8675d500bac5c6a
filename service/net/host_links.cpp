#include "net/host_links.h"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

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

}  // namespace zenith::net
