#include "secret_input.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

namespace zenithctl {

using zenith::client::ErrorKind;
using zenith::client::makeError;

namespace {

void wipe(std::string& s)
{
    if (!s.empty())
        explicit_bzero(s.data(), s.size());
    s.clear();
}

// Reads up to '\n' or EOF, unbuffered so nothing after the line is consumed.
bool readLine(int fd, std::string& out)
{
    char c;
    for (;;) {
        ssize_t n = ::read(fd, &c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return false;
        if (n == 0 || c == '\n')
            break;
        out += c;
    }
    if (!out.empty() && out.back() == '\r')
        out.pop_back();
    return true;
}

}  // namespace

zenith::client::Result<std::string> readSecretFromStdin(const std::string& what)
{
    std::string line;
    const bool tty = ::isatty(STDIN_FILENO);
    termios saved{};
    if (tty) {
        std::fprintf(stderr, "%s: ", what.c_str());
        std::fflush(stderr);
        if (::tcgetattr(STDIN_FILENO, &saved) == 0) {
            termios quiet = saved;
            quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
            ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
        }
    }
    bool ok = readLine(STDIN_FILENO, line);
    if (tty) {
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        std::fputc('\n', stderr);
    }
    if (!ok)
        return std::unexpected(makeError(ErrorKind::InvalidArgs, fmt::format("{}: cannot read stdin", what)));
    if (line.empty())
        return std::unexpected(makeError(ErrorKind::InvalidArgs, fmt::format("{}: empty on stdin", what)));
    return line;
}

zenith::client::Result<std::string> readSecretFile(const std::string& path, const std::string& what, bool whole)
{
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return std::unexpected(makeError(ErrorKind::InvalidArgs,
                                         fmt::format("{}: cannot open '{}': {}", what, path, strerror(errno))));
    struct stat st {};
    if (::fstat(fd, &st) == 0 && (st.st_mode & S_IROTH))
        std::fprintf(stderr, "zenithctl: warning: %s file '%s' is readable by every user\n", what.c_str(),
                     path.c_str());
    std::string content;
    bool ok = true;
    if (whole) {
        char buffer[4096];
        for (;;) {
            ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                ok = false;
                break;
            }
            if (n == 0)
                break;
            content.append(buffer, static_cast<size_t>(n));
        }
        explicit_bzero(buffer, sizeof buffer);
    } else {
        ok = readLine(fd, content);
    }
    ::close(fd);
    if (!ok) {
        wipe(content);
        return std::unexpected(makeError(ErrorKind::InvalidArgs, fmt::format("{}: cannot read '{}'", what, path)));
    }
    if (content.empty())
        return std::unexpected(makeError(ErrorKind::InvalidArgs, fmt::format("{}: '{}' is empty", what, path)));
    return content;
}

}  // namespace zenithctl
