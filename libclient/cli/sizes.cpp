#include "sizes.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <limits>

#include <fmt/format.h>

namespace zenithctl {

using zenith::client::ErrorKind;
using zenith::client::makeError;

namespace {

constexpr std::array<char, 6> kUnits{'K', 'M', 'G', 'T', 'P', 'E'};

constexpr uint64_t kMiB = uint64_t{1} << 20;

std::unexpected<zenith::client::Error> sizeError(std::string_view text, std::string_view key, std::string_view why,
                                                 uint64_t bareUnit)
{
    return std::unexpected(makeError(ErrorKind::InvalidArgs,
                                     fmt::format("{}: '{}' is not a size ({}; use {} or a number with K, M, G, "
                                                 "T, P (binary, optional 'iB'), e.g. 512M or 8G)",
                                                 key, text, why, bareUnit == 1 ? "bytes" : "MiB (a bare number)")));
}

// bareUnit: what a number without a unit counts (1: bytes, kMiB: MiB).
zenith::client::Result<uint64_t> parseSizeIn(std::string_view text, std::string_view key, uint64_t bareUnit)
{
    auto notASize = [&](std::string_view t, std::string_view k, std::string_view why) {
        return sizeError(t, k, why, bareUnit);
    };
    size_t i = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
        ++i;
    std::string_view whole = text.substr(0, i);
    std::string_view fraction;
    if (i < text.size() && text[i] == '.') {
        size_t start = ++i;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
            ++i;
        fraction = text.substr(start, i - start);
        if (fraction.empty())
            return notASize(text, key, "no digits after '.'");
    }
    if (whole.empty())
        return notASize(text, key, "no number");
    std::string suffix;
    for (char c : text.substr(i))
        suffix += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));

    uint64_t multiplier = suffix.empty() ? bareUnit : 1;
    if (!suffix.empty() && suffix != "B") {
        auto unit = std::find(kUnits.begin(), kUnits.end(), suffix[0]);
        std::string_view rest = std::string_view(suffix).substr(1);
        if (unit == kUnits.end() || !(rest.empty() || rest == "B" || rest == "IB"))
            return notASize(text, key, fmt::format("unknown unit '{}'", text.substr(i)));
        for (auto u = kUnits.begin(); u <= unit; ++u)
            multiplier *= 1024;
    }
    if (!fraction.empty() && multiplier == 1)
        return notASize(text, key, "a fraction of a byte");

    uint64_t value = 0;
    auto [end, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), value);
    if (ec != std::errc() || value > std::numeric_limits<uint64_t>::max() / multiplier)
        return notASize(text, key, "too large");
    uint64_t bytes = value * multiplier;
    if (!fraction.empty()) {
        // Exact integer arithmetic: digits beyond 1/10^9 cannot matter for
        // byte counts the contract accepts.
        std::string_view f = fraction.substr(0, 9);
        uint64_t num = 0, den = 1;
        for (char c : f) {
            num = num * 10 + static_cast<uint64_t>(c - '0');
            den *= 10;
        }
        unsigned __int128 extra = static_cast<unsigned __int128>(num) * multiplier / den;
        if (extra > std::numeric_limits<uint64_t>::max() - bytes)
            return notASize(text, key, "too large");
        bytes += static_cast<uint64_t>(extra);
    }
    return bytes;
}

}  // namespace

zenith::client::Result<uint64_t> parseSize(std::string_view text, std::string_view key)
{
    return parseSizeIn(text, key, 1);
}

zenith::client::Result<uint64_t> parseSizeMiB(std::string_view text, std::string_view key)
{
    return parseSizeIn(text, key, kMiB);
}

std::string formatSize(uint64_t bytes)
{
    uint64_t unit = 1;
    int index = -1;
    while (index + 1 < static_cast<int>(kUnits.size()) && bytes >= unit * 1024) {
        unit *= 1024;
        ++index;
    }
    if (index < 0)
        return std::to_string(bytes);
    if (bytes % unit == 0)
        return fmt::format("{}{}", bytes / unit, kUnits[index]);
    return fmt::format("{:.1f}{}", static_cast<double>(bytes) / static_cast<double>(unit), kUnits[index]);
}

}  // namespace zenithctl
