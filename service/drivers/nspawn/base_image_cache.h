// Base images, built once per (distro, release, arch, package set) with
// debootstrap into <state-dir>/images/<id> and reused by every create;
// <id>.packages says which package set it holds (another one is rebuilt).
// A build happens in a
// `.tmp-<id>-*` directory next to it and is renamed into place when
// complete, so a cancelled or failed build leaves nothing that looks like
// an image. On btrfs the image is a subvolume, so clones are snapshots.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "drivers/nspawn/distro_catalog.h"

namespace zenith::drivers::nspawn {

struct CachedImage {
    std::string id;
    std::string path;
    uint64_t size = 0;  // bytes allocated
};

class BaseImageCache {
public:
    explicit BaseImageCache(std::string imagesDir);

    std::string pathFor(const ImageKey& key) const;
    bool has(const ImageKey& key) const;

    // fraction is of the build (0..1), from debootstrap's own progress.
    using Progress = std::function<void(double fraction, std::string_view message)>;

    // The image's path, building it first when missing. Concurrent calls for
    // one image wait for a single build. Cancelled when `cancel` fires,
    // BackendFailed (with debootstrap's own error) when the build fails.
    core::Result<std::string> ensure(const ImageKey& key, const std::string& mirror,
                                     const std::optional<std::string>& keyring, const Progress& progress,
                                     std::stop_token cancel);

    std::vector<CachedImage> list() const;
    // Removes leftovers of builds that died with an earlier daemon.
    void removeStaleBuilds(const std::string& id = "");

private:
    std::timed_mutex& lockFor(const std::string& id);
    std::string sizeFileOf(const std::string& id) const;
    // The package set the image was built with (kBaseImagePackages).
    std::string packagesFileOf(const std::string& id) const;

    std::string dir_;
    std::mutex locksMutex_;
    std::map<std::string, std::unique_ptr<std::timed_mutex>> locks_;
};

// Bytes allocated by a tree (symlinks not followed).
uint64_t treeSize(const std::string& path);

// The size of a tree that no longer changes (a base image, a template),
// measured once and kept in `sizeFile`: ListImages answers on the bus loop,
// which must not walk a whole root file system per call. A missing or
// unreadable file (an image made by an older version) is measured and
// written now.
uint64_t recordTreeSize(const std::string& tree, const std::string& sizeFile);
uint64_t recordedTreeSize(const std::string& tree, const std::string& sizeFile);

}  // namespace zenith::drivers::nspawn
