#include "drivers/nspawn/base_image_cache.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <random>

#include <fmt/format.h>

#include "core/log.h"
#include "drivers/nspawn/debootstrap_command.h"
#include "drivers/nspawn/debootstrap_progress.h"
#include "drivers/nspawn/mount_table.h"
#include "drivers/nspawn/rootfs_clone.h"
#include "drivers/nspawn/ssh_host_keys.h"
#include "drivers/process.h"

namespace zenith::drivers::nspawn {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// A build directory, with whatever a killed debootstrap left mounted in it.
core::Result<void> removeBuild(const std::string& tmp)
{
    if (auto r = unmountBelow(tmp); !r)
        return r;
    return removeTree(tmp);
}

// What every machine gets for itself is taken out of the image: OpenSSH's
// postinst made host keys (a clone would share them) and enabled its server
// (a machine enables it when its spec says ssh).
core::Result<void> finishImage(const std::string& tree)
{
    if (auto r = removeHostKeys(tree); !r)
        return r;
    return setSshServerEnabled(tree, false);
}

std::optional<std::string> readStamp(const std::string& path)
{
    std::ifstream in(path);
    std::string line;
    if (!std::getline(in, line))
        return std::nullopt;
    return line;
}

}  // namespace

uint64_t treeSize(const std::string& path)
{
    uint64_t total = 0;
    std::error_code ec;
    fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
        struct stat st {};
        if (::lstat(it->path().c_str(), &st) == 0)
            total += static_cast<uint64_t>(st.st_blocks) * 512;
    }
    return total;
}

uint64_t recordTreeSize(const std::string& tree, const std::string& sizeFile)
{
    const uint64_t size = treeSize(tree);
    // Not fatal when it cannot be written: the next listing measures again.
    std::ofstream out(sizeFile, std::ios::trunc);
    out << size << '\n';
    return size;
}

uint64_t recordedTreeSize(const std::string& tree, const std::string& sizeFile)
{
    std::ifstream in(sizeFile);
    uint64_t size = 0;
    if (in >> size)
        return size;
    return recordTreeSize(tree, sizeFile);
}

BaseImageCache::BaseImageCache(std::string imagesDir) : dir_(std::move(imagesDir)) {}

std::string BaseImageCache::sizeFileOf(const std::string& id) const
{
    // Next to the image; list() takes directories only. Not a dot file:
    // those are builds in progress (or left by a crash).
    return (fs::path(dir_) / (id + ".size")).string();
}

std::string BaseImageCache::pathFor(const ImageKey& key) const
{
    return (fs::path(dir_) / key.id()).string();
}

std::string BaseImageCache::packagesFileOf(const std::string& id) const
{
    return (fs::path(dir_) / (id + ".packages")).string();
}

bool BaseImageCache::has(const ImageKey& key) const
{
    std::error_code ec;
    // An image of another package set (built by an earlier version) is
    // rebuilt: machines rely on what kBaseImagePackages installs.
    return fs::is_directory(fs::symlink_status(pathFor(key), ec)) &&
           readStamp(packagesFileOf(key.id())) == std::string(kBaseImagePackages);
}

std::timed_mutex& BaseImageCache::lockFor(const std::string& id)
{
    std::lock_guard lock(locksMutex_);
    auto& m = locks_[id];
    if (!m)
        m = std::make_unique<std::timed_mutex>();
    return *m;
}

void BaseImageCache::removeStaleBuilds(const std::string& id)
{
    std::string prefix = id.empty() ? ".tmp-" : ".tmp-" + id + "-";
    std::error_code ec;
    for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
        if (!it->path().filename().string().starts_with(prefix))
            continue;
        if (auto r = removeBuild(it->path().string()); !r)
            log::warning({}, "cannot remove stale image build {}: {}", it->path().string(), r.error().message);
    }
}

std::vector<CachedImage> BaseImageCache::list() const
{
    std::vector<CachedImage> out;
    std::error_code ec;
    for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
        auto name = it->path().filename().string();
        if (name.starts_with('.') || !it->is_directory(ec) || it->is_symlink(ec))
            continue;
        out.push_back({name, it->path().string(), recordedTreeSize(it->path().string(), sizeFileOf(name))});
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return out;
}

core::Result<std::string> BaseImageCache::ensure(const ImageKey& key, const std::string& mirror,
                                                 const std::optional<std::string>& keyring, const Progress& progress,
                                                 std::stop_token cancel)
{
    const std::string id = key.id();
    auto& m = lockFor(id);
    // Waiting for another job's build of the same image stays cancelable.
    while (!m.try_lock_for(100ms)) {
        if (cancel.stop_requested())
            return core::fail(core::ErrorCode::Cancelled, "cancelled while waiting for the image " + id);
    }
    std::unique_lock lock(m, std::adopt_lock);

    std::string target = pathFor(key);
    if (has(key))
        return target;
    if (cancel.stop_requested())
        return core::fail(core::ErrorCode::Cancelled, "cancelled before building " + id);

    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec)
        return core::fail(core::ErrorCode::BackendFailed, fmt::format("cannot create {}: {}", dir_, ec.message()));
    ::chmod(dir_.c_str(), 0700);
    removeStaleBuilds(id);

    std::random_device rd;
    std::string tmp = (fs::path(dir_) / fmt::format(".tmp-{}-{:08x}", id, rd())).string();
    if (auto r = makeTreeDir(tmp); !r)
        return std::unexpected(r.error());

    DebootstrapProgress parser;
    std::deque<std::string> tail;  // the end of debootstrap's log, for the error message
    RunOptions ro;
    ro.argv = debootstrapArgv({key.release, key.arch, tmp, mirror, keyring, debootstrapScript(key.distro)});
    ro.env = debootstrapEnv();
    ro.onFd3 = [&](std::string_view line) {
        if (parser.feed(line) && progress)
            progress(parser.fraction(), parser.message());
    };
    auto keepTail = [&](std::string_view line) {
        tail.emplace_back(line);
        if (tail.size() > 5)
            tail.pop_front();
    };
    ro.onStdout = keepTail;
    ro.onStderr = keepTail;
    log::info({}, "building base image {}: {}", id, renderArgv(ro.argv));

    auto st = runProcess(ro, cancel);
    if (!st || !st->success() || !parser.succeeded()) {
        if (auto r = removeBuild(tmp); !r)
            log::warning({}, "cannot remove {}: {}", tmp, r.error().message);
        if (!st)
            return std::unexpected(st.error());
        if (st->cancelled)
            return core::fail(core::ErrorCode::Cancelled, "building the image " + id + " was cancelled");
        std::string why = parser.lastError();
        if (why.empty())
            for (const auto& l : tail)
                why += (why.empty() ? "" : " | ") + l;
        return core::fail(core::ErrorCode::BackendFailed,
                          fmt::format("debootstrap of {} from {} failed ({}): {}", id, mirror, st->describe(), why));
    }
    if (auto r = finishImage(tmp); !r) {
        (void)removeBuild(tmp);
        return std::unexpected(r.error());
    }
    // The stamp is written first and renamed in right after the image: an
    // image without its stamp is rebuilt, never used for another set.
    const std::string stamp = packagesFileOf(id), stampTmp = stamp + ".tmp";
    {
        std::ofstream out(stampTmp, std::ios::trunc);
        out << kBaseImagePackages << '\n';
        out.close();
        if (!out) {
            (void)removeBuild(tmp);
            ::unlink(stampTmp.c_str());
            return core::fail(core::ErrorCode::BackendFailed, fmt::format("cannot write {}", stampTmp));
        }
    }
    // An image of an older package set makes way (machines made from it are
    // snapshots or copies of their own).
    if (fs::exists(fs::symlink_status(target, ec)))
        if (auto r = removeBuild(target); !r) {
            (void)removeBuild(tmp);
            ::unlink(stampTmp.c_str());
            return std::unexpected(r.error());
        }
    if (::rename(tmp.c_str(), target.c_str()) != 0) {
        int err = errno;
        (void)removeBuild(tmp);
        ::unlink(stampTmp.c_str());
        return core::fail(core::ErrorCode::BackendFailed,
                          fmt::format("cannot rename {} to {}: {}", tmp, target, std::strerror(err)));
    }
    if (::rename(stampTmp.c_str(), stamp.c_str()) != 0)
        return core::fail(core::ErrorCode::BackendFailed,
                          fmt::format("cannot rename {} to {}: {}", stampTmp, stamp, std::strerror(errno)));
    recordTreeSize(target, sizeFileOf(id));
    if (progress)
        progress(1.0, "base image " + id + " ready");
    return target;
}

}  // namespace zenith::drivers::nspawn
