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

}  // namespace zenith::core
