// HttpTransport on libcurl, for the daemon. TLS is always verified, one of
// three ways: the node certificate's SHA-256 fingerprint pinned (what
// Proxmox's own clients do; checked inside the TLS handshake, so the token
// is never sent to a peer that does not match), a CA file (the cluster's
// pve-root-ca.pem), or the system's CAs. Only https:// is spoken, redirects
// are not followed, and an answer is read up to a bound.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include "drivers/proxmox/client/http_transport.h"

namespace zenith::drivers::proxmox {

struct TlsTrust {
    std::string fingerprintSha256;  // "AB:CD:..." (32 bytes, any case), or empty
    std::string caFile;             // used when no fingerprint is given; empty: the system's CAs
};

class CurlTransport final : public HttpTransport {
public:
    explicit CurlTransport(TlsTrust trust);
    ~CurlTransport() override;
    CurlTransport(const CurlTransport&) = delete;
    CurlTransport& operator=(const CurlTransport&) = delete;
    std::expected<ApiReply, std::string> send(const HttpRequest& request) override;

    static constexpr size_t kMaxBodyBytes = 32u << 20;

private:
    TlsTrust trust_;
    std::string pin_;  // the fingerprint as 32 raw bytes
    // Handles between requests: each keeps its connections open, so the
    // next request to a node skips the TCP and TLS handshakes (a task poll
    // a second is otherwise a handshake a second). Jobs send at once, so
    // several; at most kMaxIdleHandles are kept.
    std::mutex idleMu_;
    std::vector<void*> idle_;
    static constexpr size_t kMaxIdleHandles = 8;
};

}  // namespace zenith::drivers::proxmox
