// The receiving end of the sd_notify protocol. A container's systemd sends
// READY=1 to $NOTIFY_SOCKET once its boot transaction is done; this is how
// systemd-nspawn --notify-ready=yes learns it, and how the benchmark learns
// it from an LXC container, so both sides stop the clock on the same event.
#pragma once

#include <chrono>
#include <string>

namespace zenith::bench {

class ReadySocket {
public:
    // Binds a fresh datagram socket at `path` (an old one is replaced).
    explicit ReadySocket(std::string path);
    ~ReadySocket();
    ReadySocket(const ReadySocket&) = delete;
    ReadySocket& operator=(const ReadySocket&) = delete;

    // True once a datagram with a READY=1 line arrived; false on timeout.
    bool waitReady(std::chrono::milliseconds timeout);

private:
    std::string path_;
    int fd_ = -1;
};

}  // namespace zenith::bench
