#include "drivers/proxmox/client/api_client.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>

#include <fmt/format.h>

#include "core/text_quote.h"

namespace zenith::drivers::proxmox {

namespace {

using core::ErrorCode;

// Marks a write's failure after which the server may have acted.
constexpr std::string_view kMaybeDone = "maybe done: ";

bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

}  // namespace

// A condition variable that a stop request wakes.
bool sleepUnlessStopped(std::chrono::milliseconds d, std::stop_token stop)
{
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lock(m);
    return !cv.wait_for(lock, stop, d, [] { return false; });
}

std::string percentEncode(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text) {
        if (unreserved(c))
            out += static_cast<char>(c);
        else
            out += fmt::format("%{:02X}", c);
    }
    return out;
}

std::string formEncode(const Params& params)
{
    std::string out;
    for (const auto& [k, v] : params) {
        if (!out.empty())
            out += '&';
        out += percentEncode(k) + '=' + percentEncode(v);
    }
    return out;
}

ApiClient::ApiClient(HttpTransport& transport, ClusterEndpoint endpoint, RetryPolicy retry)
    : transport_(transport), endpoint_(std::move(endpoint)), retry_(std::move(retry))
{
    if (!retry_.sleep)
        retry_.sleep = sleepUnlessStopped;
    if (retry_.attempts == 0)
        retry_.attempts = 1;
}

core::Result<nlohmann::json> ApiClient::get(std::string_view path, const Params& query, std::stop_token stop)
{
    return call("GET", path, query, stop);
}
core::Result<nlohmann::json> ApiClient::post(std::string_view path, const Params& form, std::stop_token stop)
{
    return call("POST", path, form, stop);
}
core::Result<nlohmann::json> ApiClient::put(std::string_view path, const Params& form, std::stop_token stop)
{
    return call("PUT", path, form, stop);
}
core::Result<nlohmann::json> ApiClient::del(std::string_view path, const Params& query, std::stop_token stop)
{
    return call("DELETE", path, query, stop);
}

std::expected<ApiReply, std::string> ApiClient::sendToSomeNode(HttpRequest request, std::string_view pathAndQuery)
{
    const size_t n = endpoint_.baseUrls.size();
    if (n == 0)
        return std::unexpected(std::string("no node URL is configured"));
    std::string errors;
    const size_t first = preferred_.load() % n;
    for (size_t i = 0; i < n; ++i) {
        const size_t idx = (first + i) % n;
        request.url = endpoint_.baseUrls[idx] + "/api2/json" + std::string(pathAndQuery);
        ++sent_;
        auto reply = transport_.send(request);
        if (reply) {
            // The next call starts where an answer came from.
            preferred_ = idx;
            return reply;
        }
        const bool notSent = reply.error().starts_with(kNotSentPrefix);
        errors += fmt::format("{}{}: {}", errors.empty() ? "" : "; ", endpoint_.baseUrls[idx],
                              core::toSingleLine(notSent ? reply.error().substr(kNotSentPrefix.size()) : reply.error(),
                                                 200));
        // A write whose answer was lost may have been carried out: sending
        // it to another node could do it twice.
        if (!notSent && request.method != "GET")
            return std::unexpected(std::string(kMaybeDone) + errors);
    }
    return std::unexpected(errors);
}

core::Result<nlohmann::json> ApiClient::call(std::string_view method, std::string_view path, const Params& params,
                                             std::stop_token stop)
{
    const bool form = method == "POST" || method == "PUT";
    std::string pathAndQuery(path);
    HttpRequest request;
    request.method = std::string(method);
    request.timeout = endpoint_.timeout;
    // Token auth needs no CSRF token; the secret only ever goes here.
    request.headers.emplace_back("Authorization",
                                 fmt::format("PVEAPIToken={}={}", endpoint_.tokenId, endpoint_.tokenSecret));
    if (form) {
        request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
        request.body = formEncode(params);
    } else if (!params.empty()) {
        pathAndQuery += '?' + formEncode(params);
    }
    // The request as messages name it: method and path, never the values.
    const std::string what = fmt::format("{} {}", method, path);

    auto delay = retry_.firstDelay;
    for (unsigned attempt = 1;; ++attempt) {
        if (stop.stop_requested())
            return core::fail(ErrorCode::Cancelled, fmt::format("{} cancelled", what));
        auto reply = sendToSomeNode(request, pathAndQuery);
        std::optional<core::Error> failure;
        bool transient = false;
        if (!reply && reply.error().starts_with(kMaybeDone)) {
            // Not retried: the caller finds out what became of it.
            return core::fail(ErrorCode::BackendUnavailable,
                              fmt::format("Proxmox cluster {}: the answer to {} was lost ({}); it may have been "
                                          "carried out",
                                          endpoint_.cluster, what, reply.error().substr(kMaybeDone.size())));
        }
        if (!reply) {
            failure = core::Error{ErrorCode::BackendUnavailable,
                                  fmt::format("Proxmox cluster {} is unreachable ({}): {}", endpoint_.cluster, what,
                                              reply.error())};
            transient = true;
        } else if (auto f = classifyReply(*reply, what)) {
            failure = f->error;
            transient = f->transient;
            // Which cluster is down or refuses the token is what an admin
            // needs to know first.
            if (failure->code == ErrorCode::BackendUnavailable)
                failure->message = fmt::format("Proxmox cluster {}: {}", endpoint_.cluster, failure->message);
        } else {
            auto body = nlohmann::json::parse(reply->body, nullptr, false);
            if (!body.is_object() || !body.contains("data"))
                return core::fail(ErrorCode::BackendFailed,
                                  fmt::format("{}: the answer of cluster {} is not a JSON object with data", what,
                                              endpoint_.cluster));
            return body["data"];
        }
        if (!transient || attempt >= retry_.attempts)
            return std::unexpected(*failure);
        if (!retry_.sleep(delay, stop))
            return core::fail(ErrorCode::Cancelled, fmt::format("{} cancelled", what));
        delay = std::min(delay * 2, retry_.maxDelay);
    }
}

}  // namespace zenith::drivers::proxmox
