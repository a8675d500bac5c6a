#include "core/spec_key.h"

#include <fmt/format.h>

#include "core/text_quote.h"

namespace zenith::core {

namespace {

constexpr uint32_t kVmidMin = 100, kVmidMax = 999999999;

std::unexpected<Error> invalid(std::string message) { return fail(ErrorCode::InvalidArgs, std::move(message)); }

}  // namespace

const SpecKeyRule* findSpecKeyRule(SpecKeyRules rules, std::string_view key)
{
    for (const auto& r : rules)
        if (r.key == key)
            return &r;
    return nullptr;
}

namespace speccheck {

Result<void> plainText(std::string_view key, std::string_view s, size_t maxLen)
{
    if (s.empty())
        return invalid(fmt::format("spec key '{}' must not be empty", key));
    if (s.size() > maxLen)
        return invalid(fmt::format("spec key '{}' is {} bytes long, at most {} allowed", key, s.size(), maxLen));
    if (hasControlChars(s))
        return invalid(fmt::format("spec key '{}' = {} contains control characters", key, quoteForMessage(s)));
    return {};
}

// distro, release, arch, node, storage, os_type: they become parts of paths
// and API URLs, so only a conservative alphabet is accepted.
Result<void> tokenText(std::string_view key, std::string_view s)
{
    auto ok = [](unsigned char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
               c == '+' || c == '-';
    };
    bool good = !s.empty() && s.size() <= 64 && ok(static_cast<unsigned char>(s[0])) && s[0] != '.' && s[0] != '-' &&
                s[0] != '_' && s[0] != '+';
    for (unsigned char c : s)
        good = good && ok(c);
    if (!good)
        return invalid(fmt::format("spec key '{}' = {} is not valid: 1-64 characters from [A-Za-z0-9._+-], "
                                   "starting with a letter or digit",
                                   key, quoteForMessage(s)));
    return {};
}

// template, iso, virtio_iso: a machine name, a path or a storage volume id.
Result<void> referenceText(std::string_view key, std::string_view s)
{
    if (auto r = plainText(key, s, 255); !r)
        return r;
    if (s.find_first_of(" \t") != std::string_view::npos)
        return invalid(fmt::format("spec key '{}' = {} must not contain whitespace", key, quoteForMessage(s)));
    return {};
}

Result<void> token(std::string_view key, const SpecValue& value)
{
    const auto* s = std::get_if<std::string>(&value.value);
    return s ? tokenText(key, *s) : invalid(fmt::format("spec key '{}' must be a string", key));
}

Result<void> reference(std::string_view key, const SpecValue& value)
{
    const auto* s = std::get_if<std::string>(&value.value);
    return s ? referenceText(key, *s) : invalid(fmt::format("spec key '{}' must be a string", key));
}

Result<void> vmid(std::string_view key, const SpecValue& value)
{
    const auto* v = std::get_if<uint32_t>(&value.value);
    if (!v)
        return invalid(fmt::format("spec key '{}' must be a number (u)", key));
    if (*v < kVmidMin || *v > kVmidMax)
        return invalid(fmt::format("spec key '{}' = {} is out of range: accepted {}-{}", key, *v, kVmidMin, kVmidMax));
    return {};
}

Result<void> any(std::string_view, const SpecValue&)
{
    return {};
}

}  // namespace speccheck

}  // namespace zenith::core
