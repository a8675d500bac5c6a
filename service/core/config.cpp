#include "core/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "core/inet.h"
#include "core/net/address_pool6.h"
#include "core/size_units.h"
#include "core/url.h"
#include "core/text_quote.h"

namespace zenith::core {

namespace {

constexpr uint32_t kMaxJobsLimit = 1024;
constexpr uint32_t kMinHistoryEntries = 50;

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

// The documented example puts comments after values ("MaxJobs=4   # ..."),
// so a '#' or ';' that follows whitespace ends the value.
std::string_view stripTrailingComment(std::string_view s)
{
    for (size_t i = 1; i < s.size(); ++i)
        if ((s[i] == '#' || s[i] == ';') && (s[i - 1] == ' ' || s[i - 1] == '\t'))
            return trim(s.substr(0, i));
    return s;
}

std::optional<uint32_t> parseUnsigned(std::string_view s)
{
    uint32_t v = 0;
    if (s.empty() || s.front() == '+')
        return std::nullopt;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size())
        return std::nullopt;
    return v;
}

bool isSectionSuffix(std::string_view s)
{
    if (s.empty() || s.size() > 64)
        return false;
    for (unsigned char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    return true;
}

bool isUrl(std::string_view s, bool allowFile)
{
    if (s.find_first_of(" \t") != std::string_view::npos || hasControlChars(s))
        return false;
    for (std::string_view scheme : {"http://", "https://"})
        if (s.starts_with(scheme)) {
            auto rest = s.substr(scheme.size());
            return !rest.empty() && rest.front() != '/' && rest.front() != ':';
        }
    return allowFile && s.starts_with("file:///");
}

bool isAbsolutePath(std::string_view s)
{
    return s.size() > 1 && s.front() == '/' && !hasControlChars(s);
}

bool isFingerprint(std::string_view s)
{
    // SHA-256 as Proxmox shows it: 32 hex byte pairs joined by ':'.
    if (s.size() != 32 * 3 - 1)
        return false;
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (i % 3 == 2 ? c != ':' : !hex)
            return false;
    }
    return true;
}

bool isTokenId(std::string_view s)
{
    // USER@REALM!TOKENNAME
    auto at = s.find('@');
    auto bang = s.find('!');
    if (at == std::string_view::npos || bang == std::string_view::npos || at == 0 || bang < at + 2 ||
        bang + 1 == s.size())
        return false;
    return s.find_first_of(" \t:/") == std::string_view::npos && !hasControlChars(s);
}

// Space-separated words of a value.
std::vector<std::string_view> words(std::string_view value)
{
    std::vector<std::string_view> out;
    for (auto rest = value; !rest.empty();) {
        auto sp = rest.find_first_of(" \t");
        out.push_back(rest.substr(0, sp));
        rest = sp == std::string_view::npos ? std::string_view() : trim(rest.substr(sp));
    }
    return out;
}

std::optional<PortRange> parsePortRange(std::string_view word)
{
    auto dash = word.find('-');
    auto first = parseUnsigned(word.substr(0, dash));
    auto last = dash == std::string_view::npos ? first : parseUnsigned(word.substr(dash + 1));
    if (!first || !last || *first < 1 || *last > 65535 || *first > *last)
        return std::nullopt;
    return PortRange{static_cast<uint16_t>(*first), static_cast<uint16_t>(*last)};
}

class Parser {
public:
    explicit Parser(std::string_view origin) : origin_(origin) {}

    Result<Config> run(std::string_view text)
    {
        size_t lineNo = 0;
        while (!text.empty()) {
            auto nl = text.find('\n');
            std::string_view raw = text.substr(0, nl);
            text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
            ++lineNo;
            line_ = lineNo;
            std::string_view line = trim(raw);
            if (line.empty() || line.front() == '#' || line.front() == ';')
                continue;
            line = stripTrailingComment(line);
            if (line.front() == '[') {
                if (auto r = enterSection(line); !r)
                    return std::unexpected(r.error());
                continue;
            }
            auto eq = line.find('=');
            if (eq == std::string_view::npos)
                return failAt(fmt::format("{}: not a Key=Value line", quoteForMessage(line)));
            key_ = trim(line.substr(0, eq));
            value_ = trim(line.substr(eq + 1));
            if (auto r = assign(); !r)
                return std::unexpected(r.error());
        }
        if (auto r = finish(); !r)
            return std::unexpected(r.error());
        return std::move(config_);
    }

private:
    enum class Kind { None, Daemon, Limits, Nspawn, Pool, Proxmox };

    // "FILE:LINE: [Section] Key=Value: why"
    std::unexpected<Error> bad(std::string_view why) const
    {
        std::string shown = quoteForMessage(value_, 200);  // escapes control bytes; its quotes are dropped
        shown = shown.substr(1, shown.size() - 2);
        return fail(ErrorCode::InvalidArgs,
                    fmt::format("{}:{}: [{}] {}={}: {}", origin_, line_, section_, key_, shown, why));
    }
    // For a value that holds a secret: named by its key only.
    std::unexpected<Error> badHidingValue(std::string_view why) const
    {
        return fail(ErrorCode::InvalidArgs, fmt::format("{}:{}: [{}] {}=(not shown): {}", origin_, line_, section_, key_, why));
    }
    std::unexpected<Error> failAt(std::string_view what) const
    {
        std::string where = section_.empty() ? std::string() : fmt::format(" [{}]", section_);
        return fail(ErrorCode::InvalidArgs, fmt::format("{}:{}:{} {}", origin_, line_, where, what));
    }

    Result<void> enterSection(std::string_view line)
    {
        if (line.back() != ']')
            return failAt(fmt::format("{}: section header without closing ']'", quoteForMessage(line)));
        std::string_view name = line.substr(1, line.size() - 2);
        section_ = std::string(name);
        key_ = {};
        value_ = {};
        if (name == "Daemon")
            kind_ = Kind::Daemon;
        else if (name == "Limits")
            kind_ = Kind::Limits;
        else if (name == "Nspawn")
            kind_ = Kind::Nspawn;
        else if (name.starts_with("Pool.") && isSectionSuffix(name.substr(5))) {
            kind_ = Kind::Pool;
            object_ = std::string(name.substr(5));
            auto& pool = config_.pools[object_];
            pool.name = object_;
            poolLines_.try_emplace(object_, PoolLines{line_});
        } else if (name.starts_with("Proxmox.") && isSectionSuffix(name.substr(8))) {
            kind_ = Kind::Proxmox;
            object_ = std::string(name.substr(8));
            config_.proxmox[object_].name = object_;
            proxmoxLines_.try_emplace(object_, ProxmoxLines{line_});
        } else {
            section_ = std::string(name);
            return failAt("unknown section (known: [Daemon], [Limits], [Nspawn], [Pool.NAME], [Proxmox.NAME]; "
                          "NAME from [A-Za-z0-9_-])");
        }
        return {};
    }

    // A repeatable, space-separated list: each word must pass `valid`; an
    // empty assignment resets the list (systemd's convention).
    Result<void> assignList(std::vector<std::string>& list, bool (*valid)(std::string_view), std::string_view why)
    {
        if (value_.empty()) {
            list.clear();
            return {};
        }
        for (auto word : words(value_)) {
            if (!valid(word))
                return bad(fmt::format("{} {}", quoteForMessage(word), why));
            list.emplace_back(word);
        }
        return {};
    }

    Result<void> unknownKey(std::string_view known) const
    {
        return bad(fmt::format("unknown key (known in this section: {})", known));
    }

    Result<void> assign()
    {
        if (key_.empty())
            return failAt(fmt::format("{}: empty key", quoteForMessage(value_)));
        if (hasControlChars(value_))
            return bad("control characters are not allowed");
        switch (kind_) {
        case Kind::None:
            return failAt(fmt::format("{}=...: assignment outside any section", key_));
        case Kind::Daemon:
            return assignDaemon();
        case Kind::Limits:
            return assignLimits();
        case Kind::Nspawn:
            return assignNspawn();
        case Kind::Pool:
            return assignPool(config_.pools[object_]);
        case Kind::Proxmox:
            return assignProxmox(config_.proxmox[object_]);
        }
        return {};
    }

    Result<void> assignDaemon()
    {
        if (key_ == "MaxJobs") {
            auto v = parseUnsigned(value_);
            if (!v || *v < 1 || *v > kMaxJobsLimit)
                return bad(fmt::format("expected a whole number 1-{}", kMaxJobsLimit));
            config_.maxJobs = *v;
            return {};
        }
        if (key_ == "MaxQueuedJobs") {
            auto v = parseUnsigned(value_);
            if (!v || *v > kMaxJobsLimit * 4)
                return bad(fmt::format("expected a whole number 0-{}", kMaxJobsLimit * 4));
            config_.maxQueuedJobs = *v;
            return {};
        }
        if (key_ == "AuditMaxEntries" || key_ == "JobHistoryMaxEntries") {
            // At least what ListJobs shows (50), so a restart loses none of it.
            auto v = parseUnsigned(value_);
            if (!v || *v < kMinHistoryEntries)
                return bad(fmt::format("expected a whole number {}-{}", kMinHistoryEntries, UINT32_MAX));
            (key_ == "AuditMaxEntries" ? config_.retention.auditMaxEntries : config_.retention.jobsMaxEntries) = *v;
            return {};
        }
        if (key_ == "AuditMaxAge" || key_ == "JobHistoryMaxAge") {
            auto v = parseTimeSpan(value_);
            if (!v || *v < 3600)
                return bad("expected a time span of at least 1h, e.g. 90d, 12w, 1y");
            (key_ == "AuditMaxAge" ? config_.retention.auditMaxAgeSec : config_.retention.jobsMaxAgeSec) = *v;
            return {};
        }
        if (key_ == "StopTimeout") {
            auto v = parseTimeSpan(value_);
            if (!v || *v < 1 || *v > 3600)
                return bad("expected a time span of 1s-1h, e.g. 60s");
            config_.stopTimeoutSec = static_cast<uint32_t>(*v);
            return {};
        }
        return unknownKey(
            "MaxJobs, MaxQueuedJobs, AuditMaxEntries, AuditMaxAge, JobHistoryMaxEntries, JobHistoryMaxAge, StopTimeout");
    }

    // "MIN-MAX" with both parts parsed by `parse`.
    template <typename T, typename F>
    std::optional<std::pair<T, T>> parsePair(F parse) const
    {
        auto dash = value_.find('-');
        if (dash == std::string_view::npos)
            return std::nullopt;
        auto a = parse(trim(value_.substr(0, dash)));
        auto b = parse(trim(value_.substr(dash + 1)));
        if (!a || !b)
            return std::nullopt;
        return std::pair<T, T>{*a, *b};
    }

    Result<void> assignLimits()
    {
        if (key_ == "CPUQuota") {
            auto r = parsePair<uint32_t>(parseUnsigned);
            if (!r)
                return bad("expected MIN-MAX in percent, e.g. 25-400");
            if (r->first < 1 || r->first > r->second)
                return bad("expected 1 <= MIN <= MAX");
            config_.limits.cpuQuotaMin = r->first;
            config_.limits.cpuQuotaMax = r->second;
            return {};
        }
        if (key_ == "Memory" || key_ == "Disk") {
            auto r = parsePair<uint64_t>(parseSize);
            if (!r)
                return bad("expected MIN-MAX sizes with an optional K, M, G or T suffix (base 1024), e.g. 256M-8G");
            if (r->first < 1 || r->first > r->second)
                return bad("expected 1 <= MIN <= MAX");
            (key_ == "Memory" ? config_.limits.memoryMin : config_.limits.diskMin) = r->first;
            (key_ == "Memory" ? config_.limits.memoryMax : config_.limits.diskMax) = r->second;
            return {};
        }
        if (key_ == "VMCores") {
            auto r = parsePair<uint32_t>(parseUnsigned);
            if (!r || r->first < 1 || r->first > r->second || r->second > 1024)
                return bad("expected MIN-MAX cores, 1 <= MIN <= MAX <= 1024, e.g. 1-64");
            config_.vmLimits.coresMin = r->first;
            config_.vmLimits.coresMax = r->second;
            return {};
        }
        if (key_ == "VMMemory" || key_ == "VMDisk") {
            auto r = parsePair<uint64_t>(parseSize);
            if (!r)
                return bad("expected MIN-MAX sizes with an optional K, M, G or T suffix (base 1024), e.g. 512M-64G");
            if (r->first < 1 || r->first > r->second)
                return bad("expected 1 <= MIN <= MAX");
            (key_ == "VMMemory" ? config_.vmLimits.memoryMin : config_.vmLimits.diskMin) = r->first;
            (key_ == "VMMemory" ? config_.vmLimits.memoryMax : config_.vmLimits.diskMax) = r->second;
            return {};
        }
        return unknownKey("CPUQuota, Memory, Disk, VMCores, VMMemory, VMDisk");
    }

    Result<void> assignNspawn()
    {
        if (key_ == "DebianMirror" || key_ == "UbuntuMirror" || key_ == "UbuntuPortsMirror") {
            if (!value_.empty() && !isUrl(value_, /*allowFile=*/true))
                return bad("expected empty or an http://, https:// or file:/// URL");
            if (urlHasCredentials(value_))
                return badHidingValue("a mirror URL with credentials would reach debootstrap's command line and the logs; "
                           "use a mirror that needs none");
            std::string& dst = key_ == "DebianMirror"   ? config_.debianMirror
                               : key_ == "UbuntuMirror" ? config_.ubuntuMirror
                                                        : config_.ubuntuPortsMirror;
            dst = std::string(value_);
            return {};
        }
        if (key_ == "Bridge") {
            if (!value_.empty() && !isInterfaceName(value_))
                return bad("expected empty or an interface name (1-15 characters from [A-Za-z0-9._-])");
            config_.bridge = std::string(value_);
            return {};
        }
        if (key_ == "Pool") {
            if (!value_.empty() && !isSectionSuffix(value_))
                return bad("expected empty or the NAME of a [Pool.NAME] section");
            config_.nspawnPool = std::string(value_);
            nspawnPoolLine_ = line_;
            return {};
        }
        if (key_ == "Bridges")
            return assignList(config_.bridges, isInterfaceName,
                              "is not an interface name (1-15 characters from [A-Za-z0-9._-])");
        if (key_ == "HostPorts") {
            if (value_.empty()) {
                config_.hostPorts.clear();
                config_.hostPortsSet = false;
                return {};
            }
            for (auto word : words(value_)) {
                auto range = parsePortRange(word);
                if (!range)
                    return bad(fmt::format("{} is not a port (1-65535) or a range FIRST-LAST", quoteForMessage(word)));
                config_.hostPorts.push_back(*range);
            }
            config_.hostPortsSet = true;
            return {};
        }
        if (key_ == "PrivateUsersOwnership") {
            if (value_ != "auto" && value_ != "map" && value_ != "chown")
                return bad("expected auto, map or chown");
            config_.privateUsersOwnership = std::string(value_);
            return {};
        }
        return unknownKey("DebianMirror, UbuntuMirror, UbuntuPortsMirror, Bridge, Bridges, Pool, HostPorts, "
                          "PrivateUsersOwnership");
    }

    Result<void> assignPool(AddressPool& pool)
    {
        auto& lines = poolLines_.at(object_);
        const bool v6 = value_.find(':') != std::string_view::npos;
        if (key_ == "Subnet" && v6) {
            auto p = parseIpv6Prefix(value_);
            if (!p || p->length < 1 || p->length > 126)
                return bad("expected ADDRESS/LEN with LEN 1-126 (IPv6) or a.b.c.d/LEN (IPv4)");
            if (p->address & ~ipv6Netmask(p->length))
                return bad(fmt::format("host bits are set; the network is {}/{}",
                                       formatIpv6(p->address & ipv6Netmask(p->length)), p->length));
            pool.subnet6 = std::string(value_);
            lines.subnet6 = line_;
            return {};
        }
        if (key_ == "Subnet") {
            auto p = parseIpv4Prefix(value_);
            if (!p || p->length < 1 || p->length > 30)
                return bad("expected a.b.c.d/LEN with LEN 1-30 (IPv4) or ADDRESS/LEN (IPv6)");
            if (p->address & ~ipv4Netmask(p->length))
                return bad(fmt::format("host bits are set; the network is {}/{}",
                                       formatIpv4(p->address & ipv4Netmask(p->length)), p->length));
            pool.subnet = std::string(value_);
            lines.subnet = line_;
            return {};
        }
        if (key_ == "Gateway" && v6) {
            if (!parseIpv6(value_))
                return bad("expected an IPv6 address (or an IPv4 one)");
            pool.gateway6 = std::string(value_);
            lines.gateway6 = line_;
            return {};
        }
        if (key_ == "Gateway") {
            if (!parseIpv4(value_))
                return bad("expected an IPv4 address (or an IPv6 one)");
            pool.gateway = std::string(value_);
            lines.gateway = line_;
            return {};
        }
        if (key_ == "DNS")
            return assignList(pool.dns, isIpAddress, "is not an IP address");
        if (key_ == "Range" && v6) {
            auto r = parsePair<Ipv6Address>(parseIpv6);
            if (!r)
                return bad("expected FIRST-LAST IPv6 addresses");
            if (r->first > r->second)
                return bad("FIRST is after LAST");
            pool.range6First = formatIpv6(r->first);
            pool.range6Last = formatIpv6(r->second);
            lines.range6 = line_;
            return {};
        }
        if (key_ == "Range") {
            auto r = parsePair<uint32_t>(parseIpv4);
            if (!r)
                return bad("expected FIRST-LAST IPv4 (or IPv6) addresses");
            if (r->first > r->second)
                return bad("FIRST is after LAST");
            pool.rangeFirst = formatIpv4(r->first);
            pool.rangeLast = formatIpv4(r->second);
            lines.range = line_;
            return {};
        }
        if (key_ == "NAT") {
            if (value_ != "yes" && value_ != "no")
                return bad("expected yes or no");
            pool.nat = value_ == "yes";
            poolLines_.at(object_).nat = line_;
            return {};
        }
        return unknownKey("Subnet, Gateway, DNS, Range, NAT");
    }

    Result<void> assignProxmox(ProxmoxCluster& c)
    {
        if (key_ == "URL") {
            if (value_.empty()) {
                c.urls.clear();
                return {};
            }
            if (!isUrl(value_, /*allowFile=*/false))
                return bad("expected an http:// or https:// URL");
            if (urlHasCredentials(value_))
                return badHidingValue("credentials do not belong in the URL (they would reach the logs); "
                                      "use TokenID= and TokenSecretFile=");
            c.urls.emplace_back(value_);
            return {};
        }
        if (key_ == "TokenID") {
            if (!isTokenId(value_))
                return bad("expected USER@REALM!TOKENNAME, e.g. root@pam!zenith");
            c.tokenId = std::string(value_);
            return {};
        }
        if (key_ == "TokenSecretFile" || key_ == "CAFile") {
            if (!isAbsolutePath(value_))
                return bad("expected an absolute path");
            (key_ == "CAFile" ? c.caFile : c.tokenSecretFile) = std::string(value_);
            return {};
        }
        if (key_ == "Fingerprint") {
            if (!isFingerprint(value_))
                return bad("expected a SHA-256 fingerprint: 32 hex byte pairs separated by ':'");
            c.fingerprint = std::string(value_);
            return {};
        }
        if (key_ == "Pool") {
            if (!isSectionSuffix(value_))
                return bad("expected the NAME of a [Pool.NAME] section");
            c.pool = std::string(value_);
            proxmoxLines_.at(object_).pool = line_;
            return {};
        }
        if (key_ == "Bridge" || key_ == "Storage" || key_ == "BackupStorage") {
            if (!isSectionSuffix(value_) && !(key_ != "Bridge" && value_.empty()))
                return bad("expected a Proxmox bridge or storage id (letters, digits, '-', '_')");
            (key_ == "Bridge" ? c.bridge : key_ == "Storage" ? c.storage : c.backupStorage) = std::string(value_);
            return {};
        }
        if (key_ == "TimeoutSec" || key_ == "TaskTimeoutSec") {
            auto v = parseUnsigned(value_);
            if (!v || *v < 1 || *v > 86400)
                return bad("expected seconds, 1-86400");
            (key_ == "TimeoutSec" ? c.timeoutSec : c.taskTimeoutSec) = static_cast<uint32_t>(*v);
            return {};
        }
        return unknownKey("URL, TokenID, TokenSecretFile, Fingerprint, CAFile, Pool, Bridge, Storage, BackupStorage, "
                          "TimeoutSec, TaskTimeoutSec");
    }

    // Checks that need a whole section, reported at the line that set the
    // offending key (or the section header for a missing key).
    Result<void> finish()
    {
        for (auto& [name, pool] : config_.pools) {
            const auto& lines = poolLines_.at(name);
            section_ = "Pool." + name;
            if (pool.subnet.empty() && pool.subnet6.empty()) {
                line_ = lines.header;
                key_ = "Subnet";
                value_ = {};
                return bad("missing: every pool needs a Subnet= (IPv4, IPv6 or one of each)");
            }
            if (auto r = finishIpv4Part(pool, lines); !r)
                return r;
            if (auto r = finishIpv6Part(pool, lines); !r)
                return r;
            if (pool.nat && pool.subnet.empty()) {
                line_ = lines.nat;
                key_ = "NAT";
                value_ = "yes";
                return bad("needs an IPv4 Subnet= (NAT is for IPv4; IPv6 addresses are routed as they are)");
            }
        }
        // Leases are kept per pool: two pools sharing addresses could hand
        // one address to two machines.
        for (auto a = config_.pools.begin(); a != config_.pools.end(); ++a)
            for (auto b = std::next(a); b != config_.pools.end(); ++b) {
                const auto& pa = a->second;
                const auto& pb = b->second;
                const char* overlap = nullptr;
                if (!pa.subnet.empty() && !pb.subnet.empty()) {
                    auto na = *parseIpv4Prefix(pa.subnet), nb = *parseIpv4Prefix(pb.subnet);
                    const unsigned shorter = std::min(na.length, nb.length);
                    if ((na.address & ipv4Netmask(shorter)) == (nb.address & ipv4Netmask(shorter)))
                        overlap = "v4";
                }
                if (!overlap && !pa.subnet6.empty() && !pb.subnet6.empty()) {
                    auto na = *parseIpv6Prefix(pa.subnet6), nb = *parseIpv6Prefix(pb.subnet6);
                    const unsigned shorter = std::min(na.length, nb.length);
                    if ((na.address & ipv6Netmask(shorter)) == (nb.address & ipv6Netmask(shorter)))
                        overlap = "v6";
                }
                if (overlap) {
                    const bool v6 = overlap[1] == '6';
                    section_ = "Pool." + b->first;
                    line_ = v6 ? poolLines_.at(b->first).subnet6 : poolLines_.at(b->first).subnet;
                    key_ = "Subnet";
                    value_ = v6 ? pb.subnet6 : pb.subnet;
                    return bad(fmt::format("overlaps Subnet={} of [Pool.{}]; pools must not share addresses",
                                           v6 ? pa.subnet6 : pa.subnet, a->first));
                }
            }
        if (!config_.nspawnPool.empty() && !config_.pools.contains(config_.nspawnPool)) {
            section_ = "Nspawn";
            line_ = nspawnPoolLine_;
            key_ = "Pool";
            value_ = config_.nspawnPool;
            return bad(fmt::format("no section [Pool.{}]", config_.nspawnPool));
        }
        for (auto& [name, c] : config_.proxmox) {
            const auto& lines = proxmoxLines_.at(name);
            section_ = "Proxmox." + name;
            line_ = lines.header;
            value_ = {};
            for (auto [key, missing] : {std::pair<std::string_view, bool>{"URL", c.urls.empty()},
                                        {"TokenID", c.tokenId.empty()},
                                        {"TokenSecretFile", c.tokenSecretFile.empty()}})
                if (missing) {
                    key_ = key;
                    return bad(fmt::format("missing: every Proxmox cluster needs {}=", key));
                }
            if (!c.pool.empty() && !config_.pools.contains(c.pool)) {
                line_ = lines.pool;
                key_ = "Pool";
                value_ = c.pool;
                return bad(fmt::format("no section [Pool.{}]", c.pool));
            }
        }
        return {};
    }

    struct PoolLines {
        size_t header = 0, subnet = 0, gateway = 0, range = 0;
        size_t subnet6 = 0, gateway6 = 0, range6 = 0;
        size_t nat = 0;
    };

    Result<void> finishIpv4Part(AddressPool& pool, const PoolLines& lines)
    {
        if (pool.subnet.empty()) {
            if (pool.gateway.empty() && pool.rangeFirst.empty())
                return {};
            line_ = pool.gateway.empty() ? lines.range : lines.gateway;
            key_ = pool.gateway.empty() ? "Range" : "Gateway";
            rangeText_ = pool.gateway.empty() ? pool.rangeFirst + "-" + pool.rangeLast : pool.gateway;
            value_ = rangeText_;
            return bad("an IPv4 address needs an IPv4 Subnet= in the pool");
        }
        auto net = *parseIpv4Prefix(pool.subnet);
        uint32_t mask = ipv4Netmask(net.length);
        auto inside = [&](uint32_t a) { return (a & mask) == net.address && a != net.address && a != (net.address | ~mask); };
        if (!pool.gateway.empty() && !inside(*parseIpv4(pool.gateway))) {
            line_ = lines.gateway;
            key_ = "Gateway";
            value_ = pool.gateway;
            return bad(fmt::format("not a host address of Subnet={}", pool.subnet));
        }
        if (pool.rangeFirst.empty()) {
            // No Range=: every host address of the subnet.
            pool.rangeFirst = formatIpv4(net.address + 1);
            pool.rangeLast = formatIpv4((net.address | ~mask) - 1);
        } else if (!inside(*parseIpv4(pool.rangeFirst)) || !inside(*parseIpv4(pool.rangeLast))) {
            line_ = lines.range;
            key_ = "Range";
            rangeText_ = pool.rangeFirst + "-" + pool.rangeLast;
            value_ = rangeText_;
            return bad(fmt::format("not inside the host addresses of Subnet={}", pool.subnet));
        }
        return {};
    }

    Result<void> finishIpv6Part(AddressPool& pool, const PoolLines& lines)
    {
        if (pool.subnet6.empty()) {
            if (pool.gateway6.empty() && pool.range6First.empty())
                return {};
            line_ = pool.gateway6.empty() ? lines.range6 : lines.gateway6;
            key_ = pool.gateway6.empty() ? "Range" : "Gateway";
            rangeText_ = pool.gateway6.empty() ? pool.range6First + "-" + pool.range6Last : pool.gateway6;
            value_ = rangeText_;
            return bad("an IPv6 address needs an IPv6 Subnet= in the pool");
        }
        auto net = *parseIpv6Prefix(pool.subnet6);
        const Ipv6Address mask = ipv6Netmask(net.length);
        // IPv6 has no broadcast address; the subnet's first address is the
        // subnet-router anycast address (RFC 4291), never a host's.
        auto inside = [&](Ipv6Address a) { return (a & mask) == net.address && a != net.address; };
        if (!pool.gateway6.empty() && !inside(*parseIpv6(pool.gateway6))) {
            line_ = lines.gateway6;
            key_ = "Gateway";
            value_ = pool.gateway6;
            return bad(fmt::format("not a host address of Subnet={}", pool.subnet6));
        }
        if (pool.range6First.empty()) {
            // No Range=: the subnet's hosts less the addresses RFC 2526
            // reserves (address_pool6.h).
            const auto [first, last] = defaultIpv6Range(net.address, net.length);
            pool.range6First = formatIpv6(first);
            pool.range6Last = formatIpv6(last);
        } else if (!inside(*parseIpv6(pool.range6First)) || !inside(*parseIpv6(pool.range6Last))) {
            line_ = lines.range6;
            key_ = "Range";
            rangeText_ = pool.range6First + "-" + pool.range6Last;
            value_ = rangeText_;
            return bad(fmt::format("not inside the host addresses of Subnet={}", pool.subnet6));
        }
        return {};
    }
    struct ProxmoxLines {
        size_t header = 0, pool = 0;
    };

    std::string_view origin_;
    Config config_;
    Kind kind_ = Kind::None;
    std::string section_, object_, rangeText_;
    std::string_view key_, value_;
    size_t line_ = 0;
    std::map<std::string, PoolLines> poolLines_;
    std::map<std::string, ProxmoxLines> proxmoxLines_;
    size_t nspawnPoolLine_ = 0;
};

}  // namespace

Result<Config> parseConfig(std::string_view text, std::string_view origin)
{
    return Parser(origin).run(text);
}

Result<Config> loadConfig(const std::string& path)
{
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENOENT)
            return Config{};
        return fail(ErrorCode::InvalidArgs, fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
    }
    struct stat st {};
    if (::fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return fail(ErrorCode::InvalidArgs, fmt::format("{}: not a regular file", path));
    }
    std::string text;
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int err = errno;
            ::close(fd);
            return fail(ErrorCode::InvalidArgs, fmt::format("{}: cannot read: {}", path, std::strerror(err)));
        }
        if (n == 0)
            break;
        text.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return parseConfig(text, path);
}

}  // namespace zenith::core
