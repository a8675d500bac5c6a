// Spec keys a backend registers (drivers' specKeys()): the common spec
// (core/spec.h) keeps only what every backend means the same way; node,
// vmid, iso, os_type and the rest are declared by the drivers that
// understand them, each with its D-Bus type and its check.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "core/error.h"
#include "core/spec_value.h"

namespace zenith::core {

struct SpecKeyRule {
    std::string_view key;
    std::string_view signature;  // "s", "u", "t", "b" or "as"
    // Checks a value whose type already matches `signature`; InvalidArgs
    // naming the key, never echoing more than 80 characters of the value.
    Result<void> (*check)(std::string_view key, const SpecValue& value) = nullptr;
};

using SpecKeyRules = std::span<const SpecKeyRule>;

const SpecKeyRule* findSpecKeyRule(SpecKeyRules rules, std::string_view key);

// Checks drivers' rules reuse (and the common keys too).
namespace speccheck {
// Not empty, at most `maxLen` bytes, no control characters.
Result<void> plainText(std::string_view key, std::string_view s, size_t maxLen = 4096);
Result<void> tokenText(std::string_view key, std::string_view s);
Result<void> referenceText(std::string_view key, std::string_view s);

// 1-64 characters of [A-Za-z0-9._+-], starting with a letter or digit: a
// node, a storage, an OS type (they become parts of API paths).
Result<void> token(std::string_view key, const SpecValue& value);
// A storage volume id, a file name or a machine name: 1-255 bytes, no
// whitespace or control characters.
Result<void> reference(std::string_view key, const SpecValue& value);
// A Proxmox guest id: 100-999999999.
Result<void> vmid(std::string_view key, const SpecValue& value);
// Any value of the declared type.
Result<void> any(std::string_view key, const SpecValue& value);
}  // namespace speccheck

}  // namespace zenith::core
