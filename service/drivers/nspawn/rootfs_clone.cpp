#include "drivers/nspawn/rootfs_clone.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/btrfs.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "drivers/unique_fd.h"

namespace zenith::drivers::nspawn {

namespace fs = std::filesystem;

namespace {

constexpr ino_t kBtrfsSubvolumeRootIno = 256;  // BTRFS_FIRST_FREE_OBJECTID

core::Error sysError(std::string_view what, const std::string& path, int err)
{
    return core::Error{core::ErrorCode::BackendFailed, fmt::format("{} {}: {}", what, path, std::strerror(err))};
}

bool fdIsBtrfs(int fd)
{
    struct statfs sf {};
    return ::fstatfs(fd, &sf) == 0 && sf.f_type == BTRFS_SUPER_MAGIC;
}

bool fdIsSubvolume(int fd)
{
    struct stat st {};
    return ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && st.st_ino == kBtrfsSubvolumeRootIno && fdIsBtrfs(fd);
}

bool fdIsMountRoot(int fd)
{
    struct statx sx {};
    if (::statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx) != 0)
        return false;
    return (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

template <typename Args>
void setName(Args& args, const std::string& name)
{
    std::memset(args.name, 0, sizeof args.name);
    std::strncpy(args.name, name.c_str(), sizeof args.name - 1);
}

core::Result<void> removeAt(int parentFd, const std::string& name, const std::string& shown);

// Empties and removes the directory `name` in `parentFd`, which is not a
// subvolume.
core::Result<void> removeDirContents(int dirFd, const std::string& shown)
{
    int dupFd = ::fcntl(dirFd, F_DUPFD_CLOEXEC, 3);
    DIR* dir = dupFd >= 0 ? ::fdopendir(dupFd) : nullptr;
    if (!dir) {
        if (dupFd >= 0)
            ::close(dupFd);
        return std::unexpected(sysError("cannot list", shown, errno));
    }
    std::vector<std::string> names;
    while (dirent* e = ::readdir(dir)) {
        std::string n = e->d_name;
        if (n != "." && n != "..")
            names.push_back(std::move(n));
    }
    ::closedir(dir);
    for (const auto& n : names)
        if (auto r = removeAt(dirFd, n, shown + "/" + n); !r)
            return r;
    return {};
}

core::Result<void> destroySubvolume(int parentFd, int selfFd, const std::string& name, const std::string& shown)
{
    btrfs_ioctl_vol_args args{};
    setName(args, name);
    if (::ioctl(parentFd, BTRFS_IOC_SNAP_DESTROY, &args) == 0)
        return {};
    if (errno != ENOTEMPTY)
        return std::unexpected(sysError("cannot delete subvolume", shown, errno));
    // Subvolumes nested inside (systemd's tmpfiles makes /var/lib/machines
    // and /var/lib/portables subvolumes on btrfs) must go first; a
    // read-only template must become writable for that.
    uint64_t flags = 0;
    if (::ioctl(selfFd, BTRFS_IOC_SUBVOL_GETFLAGS, &flags) == 0 && (flags & BTRFS_SUBVOL_RDONLY)) {
        flags &= ~uint64_t(BTRFS_SUBVOL_RDONLY);
        ::ioctl(selfFd, BTRFS_IOC_SUBVOL_SETFLAGS, &flags);
    }
    if (auto r = removeDirContents(selfFd, shown); !r)
        return r;
    if (::ioctl(parentFd, BTRFS_IOC_SNAP_DESTROY, &args) != 0)
        return std::unexpected(sysError("cannot delete subvolume", shown, errno));
    return {};
}

core::Result<void> removeAt(int parentFd, const std::string& name, const std::string& shown)
{
    struct stat st {};
    if (::fstatat(parentFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? core::Result<void>{} : std::unexpected(sysError("cannot stat", shown, errno));
    if (!S_ISDIR(st.st_mode)) {  // files, symlinks (the link itself), devices, sockets
        if (::unlinkat(parentFd, name.c_str(), 0) != 0 && errno != ENOENT)
            return std::unexpected(sysError("cannot remove", shown, errno));
        return {};
    }
    UniqueFd fd(::openat(parentFd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd)
        return std::unexpected(sysError("cannot open", shown, errno));
    if (fdIsMountRoot(fd.get()))
        return core::fail(core::ErrorCode::Busy, fmt::format("{} is a mount point; unmount it first", shown));
    if (st.st_ino == kBtrfsSubvolumeRootIno && fdIsBtrfs(fd.get())) {
        return destroySubvolume(parentFd, fd.get(), name, shown);
    }
    if (auto r = removeDirContents(fd.get(), shown); !r)
        return r;
    if (::unlinkat(parentFd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
        return std::unexpected(sysError("cannot remove", shown, errno));
    return {};
}

}  // namespace

bool isBtrfs(const std::string& path)
{
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    return fd && fdIsBtrfs(fd.get());
}

bool isBtrfsSubvolume(const std::string& path)
{
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    return fd && fdIsSubvolume(fd.get());
}

core::Result<void> makeTreeDir(const std::string& path)
{
    fs::path p(path);
    UniqueFd parent(::open(p.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!parent)
        return std::unexpected(sysError("cannot open", p.parent_path().string(), errno));
    if (fdIsBtrfs(parent.get())) {
        btrfs_ioctl_vol_args args{};
        setName(args, p.filename().string());
        if (::ioctl(parent.get(), BTRFS_IOC_SUBVOL_CREATE, &args) != 0)
            return std::unexpected(sysError("cannot create subvolume", path, errno));
    } else if (::mkdirat(parent.get(), p.filename().c_str(), 0755) != 0) {
        return std::unexpected(sysError("cannot create", path, errno));
    }
    // The tree becomes a container's "/", which its unprivileged services
    // must traverse: 0755 whatever the daemon's umask (0077 under its unit).
    // Host users cannot reach it anyway: the machines and images
    // directories above it are 0700.
    if (::fchmodat(parent.get(), p.filename().c_str(), 0755, 0) != 0)
        return std::unexpected(sysError("cannot chmod", path, errno));
    return {};
}

core::Result<void> snapshotSubvolume(const std::string& source, const std::string& target, bool readOnly)
{
    fs::path t(target);
    UniqueFd src(::open(source.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!src)
        return std::unexpected(sysError("cannot open", source, errno));
    UniqueFd parent(::open(t.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!parent)
        return std::unexpected(sysError("cannot open", t.parent_path().string(), errno));
    btrfs_ioctl_vol_args_v2 args{};
    args.fd = src.get();
    args.flags = readOnly ? BTRFS_SUBVOL_RDONLY : 0;
    setName(args, t.filename().string());
    if (::ioctl(parent.get(), BTRFS_IOC_SNAP_CREATE_V2, &args) != 0)
        return std::unexpected(sysError("cannot snapshot " + source + " to", target, errno));
    return {};
}

core::Result<void> setSubvolumeReadOnly(const std::string& path, bool readOnly)
{
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd)
        return std::unexpected(sysError("cannot open", path, errno));
    uint64_t flags = 0;
    if (::ioctl(fd.get(), BTRFS_IOC_SUBVOL_GETFLAGS, &flags) != 0)
        return std::unexpected(sysError("cannot read subvolume flags of", path, errno));
    flags = readOnly ? (flags | BTRFS_SUBVOL_RDONLY) : (flags & ~uint64_t(BTRFS_SUBVOL_RDONLY));
    if (::ioctl(fd.get(), BTRFS_IOC_SUBVOL_SETFLAGS, &flags) != 0)
        return std::unexpected(sysError("cannot set subvolume flags of", path, errno));
    return {};
}

Argv copyTreeArgv(const std::string& source, const std::string& target)
{
    return {"cp", "-a", "--reflink=auto", "--", source, target};
}

core::Result<CloneMethod> cloneTree(const std::string& source, const std::string& target, const std::string& staging,
                                    std::stop_token cancel)
{
    std::error_code ec;
    if (fs::exists(fs::symlink_status(target, ec)))
        return core::fail(core::ErrorCode::MachineExists, fmt::format("{} already exists", target));

    if (isBtrfsSubvolume(source) && isBtrfs(fs::path(target).parent_path().string())) {
        auto snap = snapshotSubvolume(source, target);
        if (snap)
            return CloneMethod::Snapshot;
        // EXDEV (another btrfs filesystem) and friends: copy instead.
    }

    if (auto r = removeTree(staging); !r)  // remains of a crashed earlier attempt
        return std::unexpected(r.error());
    std::string cpErrors;
    RunOptions ro;
    ro.argv = copyTreeArgv(source, staging);
    ro.onStderr = [&](std::string_view l) {
        if (cpErrors.size() < 512)
            cpErrors.append(l).append("\n");
    };
    auto st = runProcess(ro, cancel);
    if (!st || !st->success()) {
        auto removed = removeTree(staging);
        if (!st)
            return std::unexpected(st.error());
        if (st->cancelled)
            return core::fail(core::ErrorCode::Cancelled, "clone cancelled");
        return core::fail(core::ErrorCode::BackendFailed,
                          fmt::format("{} failed ({}): {}", renderArgv(ro.argv), st->describe(), cpErrors));
    }
    if (::rename(staging.c_str(), target.c_str()) != 0) {
        int err = errno;
        (void)removeTree(staging);
        return std::unexpected(sysError("cannot rename " + staging + " to", target, err));
    }
    return CloneMethod::Copy;
}

core::Result<void> removeTree(const std::string& path)
{
    fs::path p = fs::path(path).lexically_normal();
    if (p.filename().empty())
        p = p.parent_path();
    UniqueFd parent(::open(p.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!parent)
        return errno == ENOENT ? core::Result<void>{} : std::unexpected(sysError("cannot open", p.parent_path().string(), errno));
    return removeAt(parent.get(), p.filename().string(), p.string());
}

}  // namespace zenith::drivers::nspawn
