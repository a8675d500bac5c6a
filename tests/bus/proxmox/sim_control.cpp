#include "sim_control.h"

#include <curl/curl.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "sandbox_env.h"

namespace zenith::bustest::pve {

using nlohmann::json;

namespace {

size_t appendBody(char* data, size_t size, size_t count, void* sink)
{
    static_cast<std::string*>(sink)->append(data, size * count);
    return size * count;
}

json call(const std::string& method, const std::string& path, const std::optional<json>& body)
{
    static const bool initialized = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    if (!initialized) {
        throw std::runtime_error("curl_global_init failed");
    }
    const std::string url = sandboxVar("ZENITH_PVE_CONTROL") + path;
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl) {
        throw std::runtime_error("curl_easy_init failed");
    }
    std::string answer;
    std::string payload = body ? body->dump() : std::string();
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headerList(headers, curl_slist_free_all);
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, appendBody);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &answer);
    if (method == "POST") {
        curl_easy_setopt(curl.get(), CURLOPT_POST, 1L);
        curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headerList.get());
        curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, payload.c_str());
        curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(payload.size()));
    }
    CURLcode rc = curl_easy_perform(curl.get());
    if (rc != CURLE_OK) {
        throw std::runtime_error(fmt::format("simulator control {} {}: {}", method, path, curl_easy_strerror(rc)));
    }
    long status = 0;
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299) {
        throw std::runtime_error(fmt::format("simulator control {} {}: HTTP {}: {}", method, path, status, answer));
    }
    auto parsed = json::parse(answer, nullptr, false);
    if (parsed.is_discarded()) {
        throw std::runtime_error(fmt::format("simulator control {} {}: not JSON: {}", method, path, answer));
    }
    return parsed;
}

}  // namespace

json simGet(const std::string& path)
{
    return call("GET", path, std::nullopt);
}

json simPost(const std::string& path, const json& body)
{
    return call("POST", path, body);
}

json simState()
{
    return simGet("/state");
}

json simGuest(uint32_t vmid)
{
    auto state = simState();
    const auto& guests = state.at("guests");
    auto it = guests.find(std::to_string(vmid));
    return it == guests.end() ? json() : *it;
}

std::optional<uint32_t> simVmidByName(const std::string& name)
{
    auto state = simState();
    for (const auto& [id, guest] : state.at("guests").items()) {
        const auto& config = guest.at("config");
        for (const char* key : {"hostname", "name"}) {
            if (config.contains(key) && config[key] == name) {
                return guest.at("vmid").get<uint32_t>();
            }
        }
    }
    return std::nullopt;
}

uint32_t simNextFreeVmid()
{
    auto state = simState();
    std::set<uint32_t> taken;
    for (const auto& [id, guest] : state.at("guests").items()) {
        taken.insert(guest.at("vmid").get<uint32_t>());
    }
    uint32_t id = 100;
    while (taken.contains(id)) {
        ++id;
    }
    return id;
}

void simFault(const json& fault)
{
    simPost("/fault", fault);
}

uint64_t simLastRequestSeq()
{
    uint64_t last = 0;
    for (const auto& r : simGet("/requests")) {
        last = std::max(last, r.value("seq", uint64_t{0}));
    }
    return last;
}

json simRequestsSince(uint64_t afterSeq)
{
    json out = json::array();
    for (auto& r : simGet("/requests")) {
        if (r.value("seq", uint64_t{0}) > afterSeq) {
            out.push_back(std::move(r));
        }
    }
    return out;
}

std::string simRequestsText(uint64_t afterSeq, size_t max)
{
    std::deque<std::string> lines;
    try {
        for (const auto& r : simRequestsSince(afterSeq)) {
            auto text = [&](const char* key) {
                auto it = r.find(key);
                return it == r.end() || it->is_null() ? std::string() : it->is_string() ? it->get<std::string>()
                                                                                          : it->dump();
            };
            lines.push_back(fmt::format("  #{} {} {} (node {}, via port {}) -> {} {}{}", text("seq"), text("method"),
                                        text("path"), text("exec_node"), text("port"), text("status"), text("reason"),
                                        r.contains("params") && !r["params"].empty() ? " params " + text("params")
                                                                                     : std::string()));
            if (lines.size() > max) {
                lines.pop_front();
            }
        }
    } catch (const std::exception& e) {
        return std::string("  (cannot read the simulator's /requests: ") + e.what() + ")\n";
    }
    std::string out;
    for (const auto& l : lines) {
        out += l + "\n";
    }
    return out.empty() ? "  (no API requests)\n" : out;
}

}  // namespace zenith::bustest::pve
