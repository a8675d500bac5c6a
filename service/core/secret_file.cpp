#include "core/secret_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace zenith::core {

Result<std::string> readSecretFile(const std::string& path)
{
    auto bad = [&](std::string why) {
        return fail(ErrorCode::InvalidArgs, fmt::format("secret file {}: {}", path, why));
    };
    // O_NONBLOCK: a FIFO planted there must not hang the daemon's start.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        if (errno == ELOOP)
            return bad("is a symbolic link (give the file itself)");
        return fail(ErrorCode::BackendUnavailable,
                    fmt::format("secret file {}: cannot open: {}", path, std::strerror(errno)));
    }
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0)
        return fail(ErrorCode::BackendUnavailable, fmt::format("secret file {}: {}", path, std::strerror(errno)));
    if (!S_ISREG(st.st_mode))
        return bad("is not a regular file");
    if (st.st_uid != 0 && st.st_uid != ::geteuid())
        return bad(fmt::format("belongs to uid {}; it must be root's", st.st_uid));
    if (st.st_mode & 077)
        return bad(fmt::format("has mode {:04o}; group and others must have no access (chmod 0600)",
                               st.st_mode & 07777));
    if (st.st_size > static_cast<off_t>(kMaxSecretFileBytes))
        return bad(fmt::format("is larger than {} bytes", kMaxSecretFileBytes));

    std::string text(static_cast<size_t>(st.st_size) + 1, '\0');
    size_t got = 0;
    while (got < text.size()) {
        ssize_t n = ::read(fd, text.data() + got, text.size() - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail(ErrorCode::BackendUnavailable,
                        fmt::format("secret file {}: cannot read: {}", path, std::strerror(errno)));
        if (n == 0)
            break;
        got += static_cast<size_t>(n);
    }
    if (got > kMaxSecretFileBytes)
        return bad(fmt::format("is larger than {} bytes", kMaxSecretFileBytes));
    text.resize(got);
    if (text.ends_with('\n'))
        text.pop_back();
    if (text.ends_with('\r'))
        text.pop_back();
    if (text.empty())
        return bad("is empty");
    for (unsigned char c : text)
        if (c < 0x20 || c == 0x7f)
            return bad("holds more than one line or a control character");
    return text;
}

}  // namespace zenith::core
