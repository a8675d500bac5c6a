#include "core/size_units.h"

#include <array>
#include <charconv>

#include <fmt/format.h>

namespace zenith::core {

namespace {
constexpr std::array<std::pair<char, unsigned>, 4> kUnits{{{'K', 10}, {'M', 20}, {'G', 30}, {'T', 40}}};
}

std::optional<uint64_t> parseSize(std::string_view text)
{
    unsigned shift = 0;
    if (!text.empty()) {
        char last = text.back();
        if (last >= 'a' && last <= 'z')
            last = static_cast<char>(last - 'a' + 'A');
        for (auto [unit, bits] : kUnits)
            if (last == unit) {
                shift = bits;
                text.remove_suffix(1);
                break;
            }
    }
    if (text.empty() || text.front() < '0' || text.front() > '9')
        return std::nullopt;
    uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    if (shift && value > (UINT64_MAX >> shift))
        return std::nullopt;
    return value << shift;
}

std::string formatSize(uint64_t bytes)
{
    for (auto it = kUnits.rbegin(); it != kUnits.rend(); ++it) {
        uint64_t unit = uint64_t{1} << it->second;
        if (bytes != 0 && bytes % unit == 0)
            return fmt::format("{}{}", bytes / unit, it->first);
    }
    return fmt::format("{}", bytes);
}

std::optional<uint64_t> parseTimeSpan(std::string_view text)
{
    static constexpr std::array<std::pair<std::string_view, uint64_t>, 11> units{{
        {"s", 1}, {"sec", 1}, {"min", 60}, {"m", 60}, {"h", 3600}, {"hour", 3600},
        {"d", 86400}, {"day", 86400}, {"w", 604800}, {"week", 604800}, {"y", 31557600}}};
    constexpr uint64_t kMax = 100 * 31557600ull;
    uint64_t total = 0;
    bool any = false;
    while (!text.empty()) {
        if (text.front() == ' ') {
            text.remove_prefix(1);
            continue;
        }
        uint64_t value = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (ec != std::errc() || end == text.data() || value > kMax)
            return std::nullopt;
        text.remove_prefix(static_cast<size_t>(end - text.data()));
        size_t unitLen = 0;
        while (unitLen < text.size() && text[unitLen] >= 'a' && text[unitLen] <= 'z')
            ++unitLen;
        uint64_t factor = unitLen == 0 ? 1 : 0;
        for (auto [name, seconds] : units)
            if (text.substr(0, unitLen) == name)
                factor = seconds;
        if (factor == 0)
            return std::nullopt;
        text.remove_prefix(unitLen);
        total += value * factor;
        if (total > kMax)
            return std::nullopt;
        any = true;
    }
    if (!any)
        return std::nullopt;
    return total;
}

}  // namespace zenith::core
