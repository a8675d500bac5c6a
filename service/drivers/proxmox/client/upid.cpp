#include "drivers/proxmox/client/upid.h"

#include <charconv>
#include <vector>

#include <fmt/format.h>

#include "core/text_quote.h"

namespace zenith::drivers::proxmox {

namespace {

bool isHex(std::string_view s)
{
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    return !s.empty();
}

template <typename T>
bool hexValue(std::string_view s, size_t minDigits, size_t maxDigits, T& out)
{
    if (s.size() < minDigits || s.size() > maxDigits || !isHex(s))
        return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out, 16);
    return ec == std::errc() && end == s.data() + s.size();
}

// As upid_decode's node pattern: [a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?
bool isNodeName(std::string_view s)
{
    if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-')
        return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    return true;
}

// No ':' (the separator) and no whitespace or control byte ([^:\s]).
bool isField(std::string_view s, bool mayBeEmpty)
{
    if (s.empty())
        return mayBeEmpty;
    for (unsigned char c : s)
        if (c == ':' || c <= 0x20 || c == 0x7f)
            return false;
    return true;
}

}  // namespace

core::Result<Upid> parseUpid(std::string_view text)
{
    auto bad = [&](std::string_view why) {
        return core::fail(core::ErrorCode::BackendFailed,
                          fmt::format("the server sent a malformed task id {} ({})", core::quoteForMessage(text), why));
    };
    if (text.size() > kMaxUpidBytes)
        return bad("too long");
    // Exactly 9 fields and the trailing colon: "UPID", 8 parts, "".
    std::vector<std::string_view> parts;
    for (size_t start = 0;;) {
        size_t colon = text.find(':', start);
        if (colon == std::string_view::npos) {
            parts.push_back(text.substr(start));
            break;
        }
        parts.push_back(text.substr(start, colon - start));
        start = colon + 1;
    }
    if (parts.size() != 9 || parts[0] != "UPID" || !parts[8].empty())
        return bad("not UPID:node:pid:pstart:starttime:type:id:user:");
    Upid u;
    u.text = std::string(text);
    u.node = std::string(parts[1]);
    if (!isNodeName(parts[1]))
        return bad("node");
    if (!hexValue(parts[2], 8, 8, u.pid))
        return bad("pid");
    if (!hexValue(parts[3], 8, 9, u.pstart))
        return bad("pstart");
    if (!hexValue(parts[4], 8, 8, u.startTime))
        return bad("start time");
    if (!isField(parts[5], false))
        return bad("type");
    if (!isField(parts[6], true))
        return bad("id");
    if (!isField(parts[7], false))
        return bad("user");
    u.type = std::string(parts[5]);
    u.id = std::string(parts[6]);
    u.user = std::string(parts[7]);
    return u;
}

}  // namespace zenith::drivers::proxmox
