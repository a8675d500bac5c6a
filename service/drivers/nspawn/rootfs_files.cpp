#include "drivers/nspawn/rootfs_files.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

#include <fmt/format.h>

#include "drivers/unique_fd.h"

namespace zenith::drivers::nspawn {

namespace {

core::Error failure(std::string_view what, std::string_view rootfs, std::string_view rel, int err)
{
    return core::Error{core::ErrorCode::BackendFailed,
                       fmt::format("{} {}/{}: {}", what, rootfs, rel, std::strerror(err))};
}

int openInRoot(int rootFd, std::string_view rel, int flags, mode_t mode = 0)
{
    open_how how{};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.mode = (flags & O_CREAT) ? mode : 0;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    std::string path(rel.empty() ? "." : rel);
    return static_cast<int>(::syscall(SYS_openat2, rootFd, path.c_str(), &how, sizeof how));
}

struct Split {
    std::string dir, name;
};
Split splitRel(std::string_view rel)
{
    std::filesystem::path p(rel);
    return {p.parent_path().string(), p.filename().string()};
}

std::string tempName(const std::string& name)
{
    std::random_device rd;
    return fmt::format(".#{}.{:08x}", name, rd());
}

// The directory that holds `rel` inside the rootfs, and the name `rel` has there.
struct ParentDir {
    UniqueFd fd;
    std::string name;
};
// `dirErrno` (when given) gets the errno of a parent directory that could
// not be opened (not of the rootfs itself), 0 otherwise.
core::Result<ParentDir> openParentInRoot(const std::string& rootfs, std::string_view rel, int* dirErrno = nullptr)
{
    if (dirErrno)
        *dirErrno = 0;
    UniqueFd root(::open(rootfs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root)
        return std::unexpected(failure("cannot open", rootfs, "", errno));
    auto [dir, name] = splitRel(rel);
    UniqueFd dirFd(openInRoot(root.get(), dir, O_RDONLY | O_DIRECTORY));
    if (!dirFd) {
        const int err = errno;
        if (dirErrno)
            *dirErrno = err;
        return std::unexpected(failure("cannot open", rootfs, dir, err));
    }
    return ParentDir{std::move(dirFd), std::move(name)};
}

std::string_view fileTypeName(mode_t mode)
{
    switch (mode & S_IFMT) {
    case S_IFIFO: return "a FIFO";
    case S_IFCHR: return "a character device";
    case S_IFBLK: return "a block device";
    case S_IFSOCK: return "a socket";
    case S_IFDIR: return "a directory";
    case S_IFLNK: return "a symbolic link";
    default: return "a special file";
    }
}

}  // namespace

core::Result<void> writeFileInRoot(const std::string& rootfs, std::string_view rel, std::string_view content,
                                   mode_t mode, std::optional<FileOwner> owner)
{
    auto parent = openParentInRoot(rootfs, rel);
    if (!parent)
        return std::unexpected(parent.error());
    const auto& [dirFd, name] = *parent;

    std::string tmp = tempName(name);
    // Mode 0600 until complete: a secret-bearing file is never readable by others.
    UniqueFd file(::openat(dirFd.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!file)
        return std::unexpected(failure("cannot create", rootfs, rel, errno));
    auto cleanup = [&](int err) {
        ::unlinkat(dirFd.get(), tmp.c_str(), 0);
        return std::unexpected(failure("cannot write", rootfs, rel, err));
    };
    for (size_t off = 0; off < content.size();) {
        ssize_t n = ::write(file.get(), content.data() + off, content.size() - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return cleanup(errno);
        }
        off += static_cast<size_t>(n);
    }
    FileOwner o = owner.value_or(FileOwner{});
    if (::fchown(file.get(), o.uid, o.gid) != 0 || ::fchmod(file.get(), mode) != 0)
        return cleanup(errno);
    if (::renameat(dirFd.get(), tmp.c_str(), dirFd.get(), name.c_str()) != 0)
        return cleanup(errno);
    return {};
}

core::Result<std::optional<std::string>> readFileInRoot(const std::string& rootfs, std::string_view rel,
                                                        size_t maxBytes)
{
    UniqueFd root(::open(rootfs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root)
        return std::unexpected(failure("cannot open", rootfs, "", errno));
    // O_PATH first: it opens nothing (no FIFO wait, no device driver), and
    // the fd pins the inode that is then checked and read.
    UniqueFd path(openInRoot(root.get(), rel, O_PATH));
    if (!path) {
        if (errno == ENOENT)
            return std::optional<std::string>();
        return std::unexpected(failure("cannot open", rootfs, rel, errno));
    }
    struct stat st {};
    if (::fstat(path.get(), &st) != 0)
        return std::unexpected(failure("cannot stat", rootfs, rel, errno));
    if (!S_ISREG(st.st_mode))
        return core::fail(core::ErrorCode::BackendFailed,
                          fmt::format("{}/{} is {}, not a regular file; refusing to read it", rootfs, rel,
                                      fileTypeName(st.st_mode)));
    if (static_cast<uint64_t>(st.st_size) > maxBytes)
        return core::fail(core::ErrorCode::BackendFailed,
                          fmt::format("{}/{} is {} bytes, more than the {} bytes such a file may have; refusing to "
                                      "read it",
                                      rootfs, rel, st.st_size, maxBytes));
    // Reopen the very inode for reading. O_NONBLOCK and O_NOCTTY cost
    // nothing on a regular file and keep a swapped-in special file harmless.
    UniqueFd file(::open(fmt::format("/proc/self/fd/{}", path.get()).c_str(),
                         O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (!file)
        return std::unexpected(failure("cannot open", rootfs, rel, errno));
    struct stat again {};
    if (::fstat(file.get(), &again) != 0 || again.st_ino != st.st_ino || again.st_dev != st.st_dev ||
        !S_ISREG(again.st_mode))
        return core::fail(core::ErrorCode::BackendFailed, fmt::format("{}/{} changed while it was opened", rootfs, rel));
    std::string out;
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(file.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return std::unexpected(failure("cannot read", rootfs, rel, errno));
        if (n == 0)
            break;
        // The size was checked, but a file can grow while it is read.
        if (out.size() + static_cast<size_t>(n) > maxBytes)
            return core::fail(core::ErrorCode::BackendFailed,
                              fmt::format("{}/{} grew past {} bytes while it was read", rootfs, rel, maxBytes));
        out.append(buf, static_cast<size_t>(n));
    }
    return std::optional<std::string>(std::move(out));
}

core::Result<std::pair<mode_t, FileOwner>> fileModeInRoot(const std::string& rootfs, std::string_view rel)
{
    UniqueFd root(::open(rootfs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root)
        return std::unexpected(failure("cannot open", rootfs, "", errno));
    UniqueFd file(openInRoot(root.get(), rel, O_PATH));
    struct stat st {};
    if (!file || ::fstat(file.get(), &st) != 0)
        return std::unexpected(failure("cannot stat", rootfs, rel, errno));
    return std::pair{st.st_mode & 07777, FileOwner{st.st_uid, st.st_gid}};
}

core::Result<FileOwner> treeRootOwner(const std::string& rootfs)
{
    struct stat st {};
    if (::stat(rootfs.c_str(), &st) != 0)
        return std::unexpected(failure("cannot stat", rootfs, "", errno));
    return FileOwner{st.st_uid, st.st_gid};
}

core::Result<void> makeDirsInRoot(const std::string& rootfs, std::string_view rel, mode_t mode,
                                  std::optional<FileOwner> owner)
{
    UniqueFd root(::open(rootfs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root)
        return std::unexpected(failure("cannot open", rootfs, "", errno));
    std::filesystem::path sofar;
    for (const auto& part : std::filesystem::path(rel)) {
        if (part.empty() || part == "/")
            continue;
        UniqueFd parent(openInRoot(root.get(), sofar.string(), O_RDONLY | O_DIRECTORY));
        if (!parent)
            return std::unexpected(failure("cannot open", rootfs, sofar.string(), errno));
        if (::mkdirat(parent.get(), part.c_str(), mode) == 0) {
            // mkdir applied the umask (0077 under the unit): set the mode
            // the tenant's services need, and the tree's owner.
            FileOwner o = owner.value_or(FileOwner{});
            if (::fchmodat(parent.get(), part.c_str(), mode, AT_SYMLINK_NOFOLLOW) != 0 &&
                ::fchmodat(parent.get(), part.c_str(), mode, 0) != 0)
                return std::unexpected(failure("cannot chmod", rootfs, (sofar / part).string(), errno));
            if (::fchownat(parent.get(), part.c_str(), o.uid, o.gid, AT_SYMLINK_NOFOLLOW) != 0)
                return std::unexpected(failure("cannot chown", rootfs, (sofar / part).string(), errno));
        } else if (errno != EEXIST) {
            return std::unexpected(failure("cannot create", rootfs, (sofar / part).string(), errno));
        }
        sofar /= part;
    }
    return {};
}

core::Result<void> symlinkInRoot(const std::string& rootfs, std::string_view rel, const std::string& target)
{
    auto parent = openParentInRoot(rootfs, rel);
    if (!parent)
        return std::unexpected(parent.error());
    const auto& [dirFd, name] = *parent;
    std::string tmp = tempName(name);
    if (::symlinkat(target.c_str(), dirFd.get(), tmp.c_str()) != 0)
        return std::unexpected(failure("cannot create", rootfs, rel, errno));
    if (::renameat(dirFd.get(), tmp.c_str(), dirFd.get(), name.c_str()) != 0) {
        int err = errno;
        ::unlinkat(dirFd.get(), tmp.c_str(), 0);
        return std::unexpected(failure("cannot create", rootfs, rel, err));
    }
    return {};
}

core::Result<void> removeFileInRoot(const std::string& rootfs, std::string_view rel)
{
    int dirErrno = 0;
    auto parent = openParentInRoot(rootfs, rel, &dirErrno);
    // No such directory (or a file where one would be): nothing to remove.
    if (!parent)
        return dirErrno == ENOENT || dirErrno == ENOTDIR ? core::Result<void>{} : std::unexpected(parent.error());
    const auto& [dirFd, name] = *parent;
    if (::unlinkat(dirFd.get(), name.c_str(), 0) != 0 && errno != ENOENT)
        return std::unexpected(failure("cannot remove", rootfs, rel, errno));
    return {};
}

}  // namespace zenith::drivers::nspawn
