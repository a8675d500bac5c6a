#include "drivers/nspawn/apt_mirror.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <sstream>

#include "core/url.h"
#include "drivers/nspawn/host_file.h"

namespace zenith::drivers::nspawn {

namespace {

std::vector<std::string> words(std::string_view s)
{
    std::vector<std::string> out;
    std::istringstream in{std::string(s)};
    for (std::string w; in >> w;)
        out.push_back(w);
    return out;
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
        s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.remove_suffix(1);
    return s;
}

std::string lower(std::string_view s)
{
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

bool isDebianReleaseSuite(std::string_view suite)
{
    static constexpr std::array kCodenames = {"buster",  "bullseye", "bookworm", "trixie",   "forky",
                                              "duke",    "sid",      "stable",   "oldstable", "oldoldstable",
                                              "testing", "unstable"};
    if (suite.find("security") != std::string_view::npos)
        return false;
    std::string_view base = suite.substr(0, suite.find('-'));
    return std::find(kCodenames.begin(), kCodenames.end(), base) != kCodenames.end();
}

bool usableUri(std::string_view uri)
{
    // debootstrap fetches with wget or reads file:; cdrom: and apt-only
    // transports (mirror+, tor+) are not for it.
    return uri.starts_with("http://") || uri.starts_with("https://") || uri.starts_with("ftp://") ||
           uri.starts_with("file:");
}

}  // namespace

std::vector<AptSource> parseOneLineSources(std::string_view text)
{
    std::vector<AptSource> out;
    std::istringstream in{std::string(text)};
    for (std::string line; std::getline(in, line);) {
        if (auto hash = line.find('#'); hash != std::string::npos)
            line.erase(hash);
        auto w = words(line);
        if (w.size() < 3 || (w[0] != "deb" && w[0] != "deb-src"))
            continue;
        size_t i = 1;
        if (w[i].starts_with('[')) {  // options, possibly spread over several words
            while (i < w.size() && !w[i].ends_with(']'))
                ++i;
            ++i;
        }
        if (i + 1 >= w.size())
            continue;
        AptSource s;
        s.types = {w[0]};
        s.uris = {w[i]};
        s.suites = {w[i + 1]};
        s.components.assign(w.begin() + static_cast<long>(i) + 2, w.end());
        out.push_back(std::move(s));
    }
    return out;
}

std::vector<AptSource> parseDeb822Sources(std::string_view text)
{
    std::vector<AptSource> out;
    AptSource cur;
    bool enabled = true, any = false;
    std::string lastKey;
    auto flush = [&] {
        if (any && enabled)
            out.push_back(std::move(cur));
        cur = AptSource{};
        enabled = true;
        any = false;
        lastKey.clear();
    };
    auto assign = [&](const std::string& key, std::string_view value) {
        auto w = words(value);
        if (key == "types")
            cur.types.insert(cur.types.end(), w.begin(), w.end());
        else if (key == "uris")
            cur.uris.insert(cur.uris.end(), w.begin(), w.end());
        else if (key == "suites")
            cur.suites.insert(cur.suites.end(), w.begin(), w.end());
        else if (key == "components")
            cur.components.insert(cur.components.end(), w.begin(), w.end());
        else if (key == "enabled")
            enabled = !(w.size() == 1 && (lower(w[0]) == "no" || lower(w[0]) == "false"));
    };

    std::istringstream in{std::string(text)};
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with('#'))
            continue;  // comments do not end a paragraph
        if (trim(line).empty()) {
            flush();
            continue;
        }
        if (line.front() == ' ' || line.front() == '\t') {  // continuation of the last field
            if (!lastKey.empty())
                assign(lastKey, line);
            continue;
        }
        auto colon = line.find(':');
        if (colon == std::string::npos)
            continue;
        lastKey = lower(trim(std::string_view(line).substr(0, colon)));
        any = true;
        assign(lastKey, std::string_view(line).substr(colon + 1));
    }
    flush();
    return out;
}

std::optional<std::string> chooseDebianMirror(const std::vector<AptSource>& sources)
{
    for (const auto& s : sources) {
        if (std::find(s.types.begin(), s.types.end(), "deb") == s.types.end())
            continue;
        if (std::none_of(s.suites.begin(), s.suites.end(), isDebianReleaseSuite))
            continue;
        for (const auto& uri : s.uris)
            // A source with credentials in its URI is apt's business only:
            // passed on, they would reach debootstrap's argv and the logs.
            if (usableUri(uri) && uri.find("debian-security") == std::string::npos && !core::urlHasCredentials(uri))
                return uri;
    }
    return std::nullopt;
}

core::Result<std::string> resolveDebianMirror(const std::string& configured, const std::string& aptDir)
{
    if (!configured.empty())
        return configured;

    namespace fs = std::filesystem;
    std::vector<AptSource> all;
    fs::path dir(aptDir);
    std::error_code ec;
    if (fs::is_regular_file(dir / "sources.list", ec)) {
        auto v = parseOneLineSources(readHostFile(dir / "sources.list"));
        all.insert(all.end(), v.begin(), v.end());
    }
    std::vector<fs::path> parts;
    for (fs::directory_iterator it(dir / "sources.list.d", ec), end; !ec && it != end; it.increment(ec))
        parts.push_back(it->path());
    std::sort(parts.begin(), parts.end());  // apt reads them in this order too
    for (const auto& p : parts) {
        std::vector<AptSource> v;
        if (p.extension() == ".list")
            v = parseOneLineSources(readHostFile(p));
        else if (p.extension() == ".sources")
            v = parseDeb822Sources(readHostFile(p));
        all.insert(all.end(), v.begin(), v.end());
    }
    if (auto m = chooseDebianMirror(all))
        return *m;
    return core::fail(core::ErrorCode::BackendUnavailable,
                      "no Debian mirror found in " + aptDir +
                          "/sources.list{,.d} (sources whose URI carries credentials are not used); set "
                          "DebianMirror= in the [Nspawn] section of the config");
}

}  // namespace zenith::drivers::nspawn
