#include "pve_control.h"

#include <curl/curl.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

namespace zenith::bench::pve {

using nlohmann::json;

namespace {

size_t appendBody(char* data, size_t size, size_t count, void* sink)
{
    static_cast<std::string*>(sink)->append(data, size * count);
    return size * count;
}

std::string controlUrl()
{
    const char* url = std::getenv("ZENITH_PVE_CONTROL");
    if (!url || !*url)
        throw std::runtime_error("ZENITH_PVE_CONTROL is not set: run inside tests/harness/sandbox.sh --proxmox-sim");
    return url;
}

void globalInit()
{
    static const bool initialized = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    if (!initialized)
        throw std::runtime_error("curl_global_init failed");
}

json call(const char* method, const std::string& path, const std::optional<json>& body)
{
    globalInit();
    const std::string url = controlUrl() + path;
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl)
        throw std::runtime_error("curl_easy_init failed");
    std::string answer;
    const std::string payload = body ? body->dump() : std::string();
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(
        curl_slist_append(nullptr, "Content-Type: application/json"), curl_slist_free_all);
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, appendBody);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &answer);
    if (body) {
        curl_easy_setopt(curl.get(), CURLOPT_POST, 1L);
        curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
        curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, payload.c_str());
        curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(payload.size()));
    }
    if (CURLcode rc = curl_easy_perform(curl.get()); rc != CURLE_OK)
        throw std::runtime_error(fmt::format("simulator control {} {}: {}", method, path, curl_easy_strerror(rc)));
    long status = 0;
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299)
        throw std::runtime_error(fmt::format("simulator control {} {}: HTTP {}: {}", method, path, status, answer));
    auto parsed = json::parse(answer, nullptr, false);
    if (parsed.is_discarded())
        throw std::runtime_error(fmt::format("simulator control {} {}: not JSON: {}", method, path, answer));
    return parsed;
}

}  // namespace

json controlGet(const std::string& path) { return call("GET", path, std::nullopt); }

TransportProbe probeTransport(int count)
{
    globalInit();
    const char* infoFile = std::getenv("ZENITH_PVE_INFO");
    if (!infoFile || !*infoFile)
        throw std::runtime_error("ZENITH_PVE_INFO is not set: run inside tests/harness/sandbox.sh --proxmox-sim");
    std::ifstream in(infoFile);
    const json info = json::parse(in);
    TransportProbe out;
    out.node = info.at("nodes").begin().key();
    const std::string url = info.at("nodes").begin()->at("url").get<std::string>() + "/api2/json/access/ticket";
    const std::string ca = info.at("ca_file").get<std::string>();
    for (int i = 0; i < count; ++i) {
        std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
        if (!curl)
            throw std::runtime_error("curl_easy_init failed");
        std::string answer;
        curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
        curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 30L);
        curl_easy_setopt(curl.get(), CURLOPT_CAINFO, ca.c_str());
        curl_easy_setopt(curl.get(), CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(curl.get(), CURLOPT_SSL_VERIFYHOST, 2L);
        curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, appendBody);
        curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &answer);
        if (CURLcode rc = curl_easy_perform(curl.get()); rc != CURLE_OK)
            throw std::runtime_error(fmt::format("transport probe {}: {}", url, curl_easy_strerror(rc)));
        curl_off_t tls = 0;
        curl_easy_getinfo(curl.get(), CURLINFO_APPCONNECT_TIME_T, &tls);
        out.handshake.push_back(static_cast<double>(tls) / 1000.0);
    }
    return out;
}

json controlPost(const std::string& path, const json& body) { return call("POST", path, body); }

}  // namespace zenith::bench::pve
