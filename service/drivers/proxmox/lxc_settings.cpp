// The settings a container gets from its spec - network, DNS, resources,
// features - as Proxmox config parameters: sent with the create call, or
// with a PUT of the config right after a clone.
#include <fmt/format.h>

#include "drivers/proxmox/guest_driver.h"
#include "drivers/proxmox/lxc_network.h"

namespace zenith::drivers::proxmox {

core::Result<Params> GuestDriver::lxcSettings(Cluster& c, const core::MachineSpec& s) const
{
    Params p;
    // net0 is replaced as a whole: set only when the spec says something
    // about the network, so a clone otherwise keeps its template's.
    if (s.ipv4 || s.bridge || s.ipv6) {
        LxcNetwork n;
        n.bridge = s.bridge.value_or(c.options().bridge);
        n.ipv4 = s.ipv4.value_or("dhcp");
        if (s.ipv4 && s.gateway)
            n.gateway = *s.gateway;
        if (s.ipv6)
            n.ipv6 = *s.ipv6;
        if (s.ipv6 && s.gateway6)
            n.gateway6 = *s.gateway6;
        auto net0 = lxcNet0(n);
        if (!net0)
            return std::unexpected(net0.error());
        p.emplace_back("net0", *net0);
    }
    if (s.dns && !s.dns->empty()) {
        std::string servers;
        for (const auto& d : *s.dns)
            servers += (servers.empty() ? "" : " ") + d;
        p.emplace_back("nameserver", servers);
    }
    if (s.cores)
        p.emplace_back("cores", std::to_string(*s.cores));
    if (s.cpuQuota)
        p.emplace_back("cpulimit", fmt::format("{:.2f}", *s.cpuQuota / 100.0));
    if (s.memoryMax)
        p.emplace_back("memory", std::to_string(*s.memoryMax >> 20));
    if (s.swapMax)
        p.emplace_back("swap", std::to_string(*s.swapMax >> 20));
    if (s.backend.flag("nesting").value_or(false))
        p.emplace_back("features", "nesting=1");
    return p;
}

}  // namespace zenith::drivers::proxmox
