#include "drivers/nspawn/rotating_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

namespace zenith::drivers::nspawn {

namespace {

core::Error sysError(std::string_view what, const std::string& path)
{
    return core::Error{core::ErrorCode::BackendFailed, fmt::format("{} {}: {}", what, path, std::strerror(errno))};
}

int openLog(const std::string& path, int extra)
{
    // O_NOFOLLOW: the run dir is root's, but a link is never what we made.
    return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC | extra, 0600);
}

}  // namespace

core::Result<RotatingLog> RotatingLog::open(std::string path, size_t maxBytes)
{
    int fd = openLog(path, 0);
    if (fd < 0)
        return std::unexpected(sysError("cannot open", path));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return core::fail(core::ErrorCode::BackendFailed, fmt::format("{} is not a regular file", path));
    }
    return RotatingLog(std::move(path), maxBytes, fd, static_cast<size_t>(st.st_size));
}

RotatingLog::RotatingLog(std::string path, size_t maxBytes, int fd, size_t size)
    : path_(std::move(path)), maxBytes_(maxBytes), fd_(fd), size_(size)
{
}

RotatingLog::RotatingLog(RotatingLog&& o) noexcept
    : path_(std::move(o.path_)), maxBytes_(o.maxBytes_), fd_(std::exchange(o.fd_, -1)), size_(o.size_)
{
}

RotatingLog::~RotatingLog()
{
    if (fd_ >= 0)
        ::close(fd_);
}

core::Result<void> RotatingLog::rotate()
{
    if (::rename(path_.c_str(), (path_ + ".1").c_str()) != 0 && errno != ENOENT)
        return std::unexpected(sysError("cannot rotate", path_));
    int fd = openLog(path_, O_TRUNC);
    if (fd < 0)
        return std::unexpected(sysError("cannot open", path_));
    ::close(fd_);
    fd_ = fd;
    size_ = 0;
    return {};
}

core::Result<void> RotatingLog::write(std::string_view bytes)
{
    while (!bytes.empty()) {
        if (size_ >= maxBytes_)
            if (auto r = rotate(); !r)
                return r;
        const size_t chunk = std::min(bytes.size(), maxBytes_ - size_);
        ssize_t n = ::write(fd_, bytes.data(), chunk);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return std::unexpected(sysError("cannot write", path_));
        }
        size_ += static_cast<size_t>(n);
        bytes.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

}  // namespace zenith::drivers::nspawn
