// Byte sizes on the command line: "1073741824", "512M", "8G", "1.5GiB".
// Units are binary (K = 1024), as in systemd's MemoryMax=.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "zenith/client/error.h"

namespace zenithctl {

// InvalidArgs naming `key` for anything that is not a size or overflows.
zenith::client::Result<uint64_t> parseSize(std::string_view text, std::string_view key);
// The same, but a bare number counts MiB ("2048" = 2G, "1.5" = 1.5M), as the
// CloudPods scripts' --mem did; "2048B" is still bytes.
zenith::client::Result<uint64_t> parseSizeMiB(std::string_view text, std::string_view key);
// The shortest exact form ("512M", "8G", "1000"), else one decimal ("1.5G").
std::string formatSize(uint64_t bytes);

}  // namespace zenithctl
