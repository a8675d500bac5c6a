// Mounts that a killed program left inside a tree we are about to remove:
// debootstrap mounts /proc and /sys (and more) in its target for the second
// stage, and a cancel or a crash can end it before it unmounts them.
// removeTree refuses to descend into a mount point (it could delete the
// host's files through it), so those mounts go first.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace zenith::drivers::nspawn {

// The mount points at or below `dir` in a /proc/self/mountinfo text, with
// the kernel's octal escapes (\040 for a space) undone, deepest first, so
// they can be unmounted in that order.
std::vector<std::string> mountPointsBelow(std::string_view mountinfo, const std::string& dir);

// Lazily unmounts (MNT_DETACH) every mount at or below `dir` in this
// process's mount namespace.
core::Result<void> unmountBelow(const std::string& dir);

}  // namespace zenith::drivers::nspawn
