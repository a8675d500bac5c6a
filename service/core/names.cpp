#include "core/names.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/text_quote.h"

namespace zenith::core {

namespace {

bool isAsciiAlpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isAsciiDigit(unsigned char c) { return c >= '0' && c <= '9'; }

int unhex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

}  // namespace

Result<void> validateMachineName(std::string_view name, std::string_view what)
{
    constexpr std::string_view rule =
        "must match ^[a-z][a-z0-9-]{0,62}$ (a lowercase letter, then up to 62 lowercase letters, digits or '-')";
    auto bad = [&](std::string_view why) {
        return fail(ErrorCode::InvalidArgs, fmt::format("invalid {} {}: {}; {}", what, quoteForMessage(name), why, rule));
    };
    if (name.empty())
        return bad("empty");
    if (name.size() > 63)
        return bad(fmt::format("{} characters long, at most 63 allowed", name.size()));
    if (!(name[0] >= 'a' && name[0] <= 'z'))
        return bad("does not start with a lowercase letter");
    for (size_t i = 0; i < name.size(); ++i) {
        auto c = static_cast<unsigned char>(name[i]);
        if (!((c >= 'a' && c <= 'z') || isAsciiDigit(c) || c == '-')) {
            // Quote the whole character: one byte of a multi-byte one is not
            // UTF-8, and D-Bus would refuse to send the error at all.
            const size_t len = std::max<size_t>(1, utf8CharLength(name.substr(i)));
            return bad(fmt::format("character {} at position {} is not allowed", quoteForMessage(name.substr(i, len)),
                                   i + 1));
        }
    }
    return {};
}

std::string busLabelEscape(std::string_view s)
{
    if (s.empty())
        return "_";
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(s.size() * 3);
    for (size_t i = 0; i < s.size(); ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        // Object path elements allow only [A-Za-z0-9_]; a leading digit is
        // escaped too so the label is also a valid identifier (as systemd does).
        if (isAsciiAlpha(c) || (i > 0 && isAsciiDigit(c))) {
            out += static_cast<char>(c);
        } else {
            out += '_';
            out += hex[c >> 4];
            out += hex[c & 0xf];
        }
    }
    return out;
}

std::optional<std::string> busLabelUnescape(std::string_view label)
{
    if (label == "_")
        return std::string();
    if (label.empty())
        return std::nullopt;
    std::string out;
    out.reserve(label.size());
    for (size_t i = 0; i < label.size(); ++i) {
        auto c = static_cast<unsigned char>(label[i]);
        if (c == '_') {
            // systemd keeps a broken escape literally; we refuse it, since
            // busLabelEscape never produces one and a lookup must not alias.
            if (label.size() - i < 3)
                return std::nullopt;
            int a = unhex(label[i + 1]), b = unhex(label[i + 2]);
            if (a < 0 || b < 0)
                return std::nullopt;
            out += static_cast<char>((a << 4) | b);
            i += 2;
        } else if (isAsciiAlpha(c) || isAsciiDigit(c)) {
            out += static_cast<char>(c);
        } else {
            return std::nullopt;
        }
    }
    return out;
}

std::string machineObjectPath(std::string_view name)
{
    return fmt::format("{}/machine/{}", kRootPath, busLabelEscape(name));
}

std::string jobObjectPath(uint32_t id)
{
    return fmt::format("{}/job/{}", kRootPath, id);
}

}  // namespace zenith::core
