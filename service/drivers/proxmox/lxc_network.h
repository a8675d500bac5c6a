// A container's net0 as Proxmox wants it:
//   name=eth0,bridge=vmbr0,ip=10.1.10.91/24,gw=10.1.10.1[,ip6=...,gw6=...]
// `ip` needs its mask (/8-/32) or "dhcp"/"manual"; `ip6` also takes "auto"
// (proxmox-notes.md). Checked here so a bad address is InvalidArgs naming
// the key before anything is sent, not a 400 after a clone has started.
#pragma once

#include <string>

#include "core/error.h"

namespace zenith::drivers::proxmox {

struct LxcNetwork {
    std::string name = "eth0";
    std::string bridge;    // required
    std::string ipv4;      // a.b.c.d/len, dhcp, manual, or empty (none)
    std::string gateway;   // IPv4, only with a static ipv4
    std::string ipv6;      // addr/len, dhcp, auto, manual, or empty
    std::string gateway6;  // only with a static ipv6
};

core::Result<std::string> lxcNet0(const LxcNetwork& n);

}  // namespace zenith::drivers::proxmox
