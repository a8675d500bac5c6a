// Byte sizes as admins write them: "512M", "8G" (K/M/G/T, base 1024).
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

}  // namespace zenith::core
