// Copying and removing machine trees. On btrfs a tree is a subvolume and a
// clone is a snapshot (a few ms, no extra space); elsewhere `cp -a
// --reflink=auto` (shares extents on XFS, copies on ext4).
#pragma once

#include <stop_token>
#include <string>

#include "core/error.h"
#include "drivers/process.h"

namespace zenith::drivers::nspawn {

bool isBtrfs(const std::string& path);
bool isBtrfsSubvolume(const std::string& path);

// A new empty directory: a subvolume when `path`'s parent is on btrfs.
core::Result<void> makeTreeDir(const std::string& path);

core::Result<void> snapshotSubvolume(const std::string& source, const std::string& target, bool readOnly = false);
core::Result<void> setSubvolumeReadOnly(const std::string& path, bool readOnly);

// `cp -a --reflink=auto -- SOURCE TARGET` (TARGET must not exist).
Argv copyTreeArgv(const std::string& source, const std::string& target);

enum class CloneMethod { Snapshot, Copy };

// `target` must not exist. A copy goes through `staging` (renamed into place
// at the end) so a half-made copy never looks like a machine; a cancel kills
// cp and removes the staging tree.
core::Result<CloneMethod> cloneTree(const std::string& source, const std::string& target, const std::string& staging,
                                    std::stop_token cancel);

// Removes a tree: a subvolume (and subvolumes nested in it, which systemd
// in the container may create) through the btrfs ioctls, anything else
// entry by entry. Never follows a symlink and never descends into a mount
// point (that is an error: something is still mounted there). A missing
// path is success.
core::Result<void> removeTree(const std::string& path);

}  // namespace zenith::drivers::nspawn
