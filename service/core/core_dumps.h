// The daemon's memory holds what jobs carry while they run: passwords before
// they are hashed, WireGuard keys, API tokens. A core dump would write all of
// that to disk, so the daemon makes itself non-dumpable at start (the kernel
// then writes no core at all, whatever RLIMIT_CORE or core_pattern say).
// Programs it starts are dumpable again after their execve.
#pragma once

#include "core/error.h"

namespace zenith::core {

Result<void> disableCoreDumps();

}  // namespace zenith::core
