// The one thing the Proxmox client needs from HTTP: send a request, get the
// status line and body back. Behind an interface so that unit tests run the
// client against a fake (tests/support/fake_http_transport.h); the daemon's
// implementation is libcurl with the cluster's pinned certificate. A
// request's headers hold the API token: an implementation never logs them.
#pragma once

#include <chrono>
#include <expected>
#include <string_view>
#include <string>
#include <utility>
#include <vector>

#include "drivers/proxmox/client/api_reply.h"

namespace zenith::drivers::proxmox {

struct HttpRequest {
    std::string method;  // GET POST PUT DELETE
    std::string url;     // https://node:8006/api2/json/...?query
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;    // form-urlencoded (POST, PUT), else empty
    std::chrono::milliseconds timeout{30000};
};

// An error text starting with this says the request never reached the
// server (no connection, TLS refused): a write may go to another node or be
// sent again. Any other failure may have come after the server acted.
inline constexpr std::string_view kNotSentPrefix = "not sent: ";

class HttpTransport {
public:
    virtual ~HttpTransport() = default;
    // An ApiReply for anything the server answered (any status); the error
    // text when no answer came (refused, unreachable, TLS, timeout), which
    // makes the client try the cluster's next node.
    virtual std::expected<ApiReply, std::string> send(const HttpRequest& request) = 0;
};

}  // namespace zenith::drivers::proxmox
