#include "fake_http_transport.h"

namespace zenith::testsupport {

void FakeHttpTransport::on(const std::string& method, const std::string& path, std::vector<Reply> replies)
{
    std::lock_guard l(mu_);
    script_[{method, path}] = std::deque<Reply>(replies.begin(), replies.end());
}

FakeHttpTransport::Reply FakeHttpTransport::ok(const std::string& dataJson)
{
    return Reply{200, "OK", "{\"data\":" + dataJson + "}"};
}

std::expected<FakeHttpTransport::Reply, std::string> FakeHttpTransport::send(
    const drivers::proxmox::HttpRequest& request)
{
    std::lock_guard l(mu_);
    requests_.push_back(request);
    const auto api = request.url.find("/api2/json");
    if (api == std::string::npos)
        return std::unexpected(std::string("fake: not an API URL: ") + request.url);
    const std::string base = request.url.substr(0, api);
    if (down_.count(base))
        return std::unexpected(std::string(drivers::proxmox::kNotSentPrefix) + "Failed to connect to " + base +
                               ": Connection refused");
    std::string path = request.url.substr(api + 10);
    if (auto q = path.find('?'); q != std::string::npos)
        path.resize(q);
    auto it = script_.find({request.method, path});
    if (it == script_.end() || it->second.empty())
        return Reply{501, "Method '" + request.method + " " + path + "' not implemented", ""};
    Reply r = it->second.front();
    if (it->second.size() > 1)
        it->second.pop_front();
    return r;
}

std::vector<drivers::proxmox::HttpRequest> FakeHttpTransport::requests() const
{
    std::lock_guard l(mu_);
    return requests_;
}

}  // namespace zenith::testsupport
