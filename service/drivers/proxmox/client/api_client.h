// Calls to one Proxmox VE cluster's REST API: the request shapes
// (query-string reads, form-encoded writes, the token header), the node
// URLs tried in turn when one does not answer, transient failures retried
// with backoff, and each failure turned into a named error (api_reply.h).
// Returns the `data` member of the answer.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "drivers/proxmox/client/http_transport.h"

namespace zenith::drivers::proxmox {

using Params = std::vector<std::pair<std::string, std::string>>;

struct ClusterEndpoint {
    std::string cluster;                // [Proxmox.NAME], for messages
    std::vector<std::string> baseUrls;  // https://pve1:8006, ... (tried in order)
    std::string tokenId;                // user@realm!tokenid
    std::string tokenSecret;            // never logged, never in a message
    std::chrono::milliseconds timeout{30000};
};

struct RetryPolicy {
    unsigned attempts = 5;                         // per call, the first included
    std::chrono::milliseconds firstDelay{200};     // doubled each time
    std::chrono::milliseconds maxDelay{3000};
    // How to wait; returns false when the wait was cut short by `stop`.
    std::function<bool(std::chrono::milliseconds, std::stop_token)> sleep;
};

// Sleeps `d` unless `stop` is requested first; false when it was. The
// default wait between retries and between task polls.
bool sleepUnlessStopped(std::chrono::milliseconds d, std::stop_token stop);

// RFC 3986: everything but unreserved characters percent-encoded (for a
// path segment, a query or a form value alike).
std::string percentEncode(std::string_view text);
// "a=1&b=x%20y"
std::string formEncode(const Params& params);

class ApiClient {
public:
    ApiClient(HttpTransport& transport, ClusterEndpoint endpoint, RetryPolicy retry = {});

    core::Result<nlohmann::json> get(std::string_view path, const Params& query = {}, std::stop_token stop = {});
    core::Result<nlohmann::json> post(std::string_view path, const Params& form = {}, std::stop_token stop = {});
    core::Result<nlohmann::json> put(std::string_view path, const Params& form = {}, std::stop_token stop = {});
    core::Result<nlohmann::json> del(std::string_view path, const Params& query = {}, std::stop_token stop = {});

    // Requests sent so far, retries and failovers included (benchmarks).
    uint64_t requestsSent() const { return sent_; }

private:
    core::Result<nlohmann::json> call(std::string_view method, std::string_view path, const Params& params,
                                      std::stop_token stop);
    // One attempt over the nodes, from the one that answered last.
    std::expected<ApiReply, std::string> sendToSomeNode(HttpRequest request, std::string_view pathAndQuery);

    HttpTransport& transport_;
    ClusterEndpoint endpoint_;
    RetryPolicy retry_;
    std::atomic<size_t> preferred_{0};
    std::atomic<uint64_t> sent_{0};
};

}  // namespace zenith::drivers::proxmox
