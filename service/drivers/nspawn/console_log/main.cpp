// zenith-console-log: keeps a supervised container's console output in a
// bounded, rotated file. systemd-nspawn writes the console to a pipe whose
// other end is this process, in a session of its own like nspawn, so it
// outlives a daemon restart together with the machine (a pipe read by the
// daemon itself would break - SIGPIPE - the moment the daemon went away).
// Exits when the pipe closes, i.e. when nspawn is gone.
//
// Usage: zenith-console-log MAX_BYTES FILE  (console on standard input)
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "drivers/nspawn/rotating_log.h"

int main(int argc, char** argv)
{
    if (argc != 3) {
        std::fprintf(stderr, "usage: zenith-console-log MAX_BYTES FILE\n");
        return 2;
    }
    size_t maxBytes = 0;
    std::string_view text(argv[1]);
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), maxBytes);
    if (ec != std::errc() || end != text.data() + text.size() || maxBytes < 4096) {
        std::fprintf(stderr, "zenith-console-log: MAX_BYTES must be a number of at least 4096\n");
        return 2;
    }
    auto log = zenith::drivers::nspawn::RotatingLog::open(argv[2], maxBytes);
    if (!log) {
        std::fprintf(stderr, "zenith-console-log: %s\n", log.error().message.c_str());
        return 1;
    }
    // A daemon restart must not end the log (nor, through it, the machine).
    ::signal(SIGHUP, SIG_IGN);
    ::signal(SIGINT, SIG_IGN);
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
        if (n == 0)
            return 0;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return 1;
        }
        // A full disk drops console output; reading on keeps nspawn going.
        (void)log->write(std::string_view(buf, static_cast<size_t>(n)));
    }
}
