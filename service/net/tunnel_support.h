// Whether this kernel can make the tunnels a machine may ask for. A
// container shares the host's kernel: a sit (6in4) link inside it exists
// only if the host's kernel has sit built in or loaded (or can load it).
#pragma once

namespace zenith::net {

// Asks the kernel to make a sit link in a network namespace of its own (on
// a thread of its own, gone with it): the answer, not a guess from /sys.
// False when the kernel refuses (no sit support) or the probe cannot run.
bool kernelMakesSitLinks();

}  // namespace zenith::net
