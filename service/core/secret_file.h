// Reading a secret the admin keeps in a file (a Proxmox API token's secret;
// later WireGuard keys): the file must be root's, readable by nobody else,
// a regular file (not a link, FIFO or device) of a few KiB at most, and the
// secret one line of printable characters, since it goes into an HTTP
// header where a newline would let it forge another. Errors name the file
// and what is wrong with it, never a byte of what it holds.
#pragma once

#include <string>

#include "core/error.h"

namespace zenith::core {

inline constexpr size_t kMaxSecretFileBytes = 4096;

// The secret with one trailing newline removed. InvalidArgs for a file that
// is not fit to hold a secret, BackendUnavailable when it cannot be read.
Result<std::string> readSecretFile(const std::string& path);

}  // namespace zenith::core
