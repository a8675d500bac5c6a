#include "proxmox_guest_fixture.h"

#include <fmt/format.h>

namespace zenith::drivers::proxmox {

using testsupport::FakeHttpTransport;

std::string upidFor(const std::string& node, const std::string& type, uint32_t id, unsigned pid)
{
    return fmt::format("UPID:{}:{:08X}:0123ABCD:6745F0A1:{}:{}:root@pam!zenith:", node, pid, type, id);
}

std::string taskPath(const std::string& node, const std::string& upid)
{
    return "/nodes/" + node + "/tasks/" + percentEncode(upid);
}

std::string percentDecode(std::string_view s)
{
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

Params decodeForm(std::string_view body)
{
    Params out;
    while (!body.empty()) {
        size_t amp = body.find('&');
        std::string_view pair = body.substr(0, amp);
        size_t eq = pair.find('=');
        out.emplace_back(percentDecode(pair.substr(0, eq)),
                         eq == std::string_view::npos ? std::string() : percentDecode(pair.substr(eq + 1)));
        if (amp == std::string_view::npos)
            break;
        body.remove_prefix(amp + 1);
    }
    return out;
}

std::optional<std::string> param(const Params& p, const std::string& key)
{
    for (const auto& [k, v] : p)
        if (k == key)
            return v;
    return std::nullopt;
}

std::string shown(const HttpRequest& r)
{
    std::string url = r.url;
    if (url.rfind(kBase, 0) == 0)
        url = url.substr(std::string(kBase).size());
    return r.method + " " + url;
}

bool isTaskRequest(const HttpRequest& r) { return r.url.find("/tasks/") != std::string::npos; }

ApiReply serverError(const std::string& text)
{
    return ApiReply{500, text, R"({"data":null,"message":")" + text + R"(\n"})"};
}

void ProxmoxGuestFixture::SetUp()
{
    auto transport = std::make_unique<FakeHttpTransport>();
    fake = transport.get();
    RetryPolicy retry;
    retry.sleep = [](std::chrono::milliseconds, std::stop_token stop) { return !stop.stop_requested(); };
    ClusterOptions opts;
    opts.name = "pve";
    opts.pool = "cloudpods";
    opts.bridge = "vmbr0";
    cluster = std::make_shared<Cluster>(opts, std::move(transport),
                                        ClusterEndpoint{"pve", {"https://pve1:8006"}, "root@pam!zenith", "s3cret"},
                                        retry);
    clusters = std::make_shared<ClusterSet>(std::vector<std::shared_ptr<Cluster>>{cluster});
}

std::unique_ptr<GuestDriver> ProxmoxGuestFixture::makeDriver(GuestType type)
{
    GuestDriverOptions o;
    o.type = type;
    o.sleep = [this](std::chrono::milliseconds d, std::stop_token stop) {
        sleeps.push_back(d);
        if (onSleep)
            onSleep(d);
        return !stop.stop_requested();
    };
    return std::make_unique<GuestDriver>(o, clusters);
}

void ProxmoxGuestFixture::task(const std::string& upid, const std::string& exit, const std::string& logLine)
{
    const std::string node = upid.substr(5, upid.find(':', 5) - 5);
    fake->on("GET", taskPath(node, upid) + "/status",
             {FakeHttpTransport::ok(R"({"status":"running"})"),
              FakeHttpTransport::ok(R"({"status":"stopped","exitstatus":")" + exit + R"("})")});
    fake->on("GET", taskPath(node, upid) + "/log",
             {FakeHttpTransport::ok(logLine.empty() ? std::string("[]") : R"([{"n":1,"t":")" + logLine + R"("}])"),
              FakeHttpTransport::ok("[]")});
}

std::string ProxmoxGuestFixture::answersTask(const std::string& method, const std::string& path,
                                             const std::string& upid)
{
    fake->on(method, path, {FakeHttpTransport::ok('"' + upid + '"')});
    task(upid);
    return upid;
}

std::vector<std::string> ProxmoxGuestFixture::nonPolls(std::string_view alsoSkip) const
{
    std::vector<std::string> out;
    for (const auto& r : fake->requests())
        if (!isTaskRequest(r) && (alsoSkip.empty() || r.url.find(alsoSkip) == std::string::npos))
            out.push_back(shown(r));
    return out;
}

std::vector<HttpRequest> ProxmoxGuestFixture::requestsTo(const std::string& method, const std::string& path) const
{
    std::vector<HttpRequest> out;
    for (const auto& r : fake->requests()) {
        std::string p = shown(r).substr(r.method.size() + 1);
        if (auto q = p.find('?'); q != std::string::npos)
            p.resize(q);
        if (r.method == method && p == path)
            out.push_back(r);
    }
    return out;
}

}  // namespace zenith::drivers::proxmox
