#include "support/ready_socket.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

namespace zenith::bench {

ReadySocket::ReadySocket(std::string path) : path_(std::move(path))
{
    sockaddr_un addr{};
    if (path_.size() >= sizeof addr.sun_path)
        throw std::runtime_error("notify socket path too long: " + path_);
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd_ < 0)
        throw std::runtime_error(fmt::format("socket: {}", std::strerror(errno)));
    ::unlink(path_.c_str());
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        throw std::runtime_error(fmt::format("bind {}: {}", path_, std::strerror(errno)));
    // The container's systemd runs as root, but say so plainly.
    ::chmod(path_.c_str(), 0600);
}

ReadySocket::~ReadySocket()
{
    ::close(fd_);
    ::unlink(path_.c_str());
}

bool ReadySocket::waitReady(std::chrono::milliseconds timeout)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[4096];
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            return false;
        pollfd p{fd_, POLLIN, 0};
        int n = ::poll(&p, 1, static_cast<int>(left.count()));
        if (n < 0 && errno != EINTR)
            throw std::runtime_error(fmt::format("poll: {}", std::strerror(errno)));
        if (n <= 0)
            continue;
        ssize_t len = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
        if (len <= 0)
            continue;
        std::istringstream lines(std::string(buf, static_cast<size_t>(len)));
        for (std::string l; std::getline(lines, l);)
            if (l == "READY=1")
                return true;
    }
}

}  // namespace zenith::bench
