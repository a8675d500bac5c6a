// Reading and writing files inside a machine's root tree. A tree that has
// been booted belongs to its root user, who may have turned /etc/hostname
// into a symlink to the host's /etc/shadow: every path is resolved with
// openat2(RESOLVE_IN_ROOT), so it can never leave the tree.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace zenith::drivers::nspawn {

struct FileOwner {
    uid_t uid = 0;
    gid_t gid = 0;
};

// Atomically replaces (temp file + rename) `rel` (e.g. "etc/hostname") with
// `content`, mode `mode` and owner `owner` (root when nullopt).
core::Result<void> writeFileInRoot(const std::string& rootfs, std::string_view rel, std::string_view content,
                                   mode_t mode, std::optional<FileOwner> owner = std::nullopt);
// Files the daemon reads in a machine tree are small (hosts, shadow): a few
// MiB is plenty, and a tenant's 64 GiB sparse file must not be read.
inline constexpr size_t kMaxTreeFileBytes = 4 << 20;

// nullopt when the file does not exist. The tree's root user may have put
// anything there, so the path is resolved inside the tree, the file must be
// a regular file (not a FIFO that would block the read forever, a device, a
// socket, a directory) of at most `maxBytes`, and it is never opened before
// that is known (opening a device can have effects of its own). Anything
// else is a BackendFailed error naming the path.
core::Result<std::optional<std::string>> readFileInRoot(const std::string& rootfs, std::string_view rel,
                                                        size_t maxBytes = kMaxTreeFileBytes);
// Mode and owner of an existing file.
core::Result<std::pair<mode_t, FileOwner>> fileModeInRoot(const std::string& rootfs, std::string_view rel);
// mkdir -p inside the tree; directories made get exactly `mode` (whatever
// the daemon's umask) and `owner` (root when nullopt); existing ones keep
// theirs.
core::Result<void> makeDirsInRoot(const std::string& rootfs, std::string_view rel, mode_t mode,
                                  std::optional<FileOwner> owner = std::nullopt);
// Owner of the tree's root directory: uid/gid 0 for a tree whose user
// namespace is an idmapped mount, the range's first ids for a tree that
// systemd-nspawn chowned. Files the daemon writes take these ids, so that
// inside the container they belong to root either way.
core::Result<FileOwner> treeRootOwner(const std::string& rootfs);
// Removes the file or symlink `rel` (never a directory); a missing one is
// no error.
core::Result<void> removeFileInRoot(const std::string& rootfs, std::string_view rel);
// Creates (or replaces) the symlink `rel` -> `target` (target is not resolved).
core::Result<void> symlinkInRoot(const std::string& rootfs, std::string_view rel, const std::string& target);

}  // namespace zenith::drivers::nspawn
