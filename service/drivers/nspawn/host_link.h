// A machine's network link on the host side. systemd-nspawn 252 names the
// veth of --network-bridge after the machine (vb-NAME, cut to 15 bytes), so
// two long names can collide and a panel cannot find a machine's link by
// its number. Instead the settings ask for an extra veth with our own name
// (VirtualEthernetExtra=vi<number>:host0), and the daemon makes it a port of
// the machine's bridge while the machine boots.
#pragma once

#include <chrono>
#include <cstdint>
#include <stop_token>
#include <string>

#include "drivers/nspawn/machine_runner.h"

namespace zenith::drivers::nspawn {

// "vi42"; "" for 0 (no number: the machine gets systemd-nspawn's own veth).
std::string hostLinkName(uint32_t number);

// runner.start(t), and meanwhile, when `t` has a host link and a bridge,
// waits for systemd-nspawn to make the link and attaches it to the bridge.
// nspawn makes it before the container's init runs, so networkd inside
// sees the carrier at its first start. A link of that name that exists
// before the boot is refused (BackendFailed): it is not this machine's. A
// failed attach kills the machine again.
core::Result<void> bootWithHostLink(MachineRunner& runner, const RunTarget& t, std::stop_token cancel,
                                    std::chrono::seconds timeout);

}  // namespace zenith::drivers::nspawn
