// Byte sizes and time spans as admins write them: "512M", "8G" (K/M/G/T,
// base 1024); "30s", "90d", "1w 2d" (systemd's units s, min, h, d, w, y).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace zenith::core {

// nullopt on a malformed value or overflow of 64 bits.
std::optional<uint64_t> parseSize(std::string_view text);
// The shortest exact rendering: 268435456 -> "256M", 1000 -> "1000".
std::string formatSize(uint64_t bytes);

// A time span in seconds: one or more NUMBER[UNIT] separated by spaces,
// summed; a bare number is seconds. nullopt when malformed or above 100 years.
std::optional<uint64_t> parseTimeSpan(std::string_view text);

}  // namespace zenith::core
