// Hostile text for the bus tests: strings as a local user may send them
// (any code point, control characters, up to 64 KiB) and byte strings D-Bus
// should never let through (invalid and overlong UTF-8), plus the daemon's
// footprint (resident memory, file sizes) to check that none of it grows.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <random>
#include <string>

namespace zenith::bustest {

class HostileText {
public:
    explicit HostileText(uint32_t seed) : rng_(seed) {}

    // A string of 0-64 KiB: random code points (all planes, controls
    // included), names with one non-ASCII character (the case that once got
    // no reply), long runs, and - now and then - bytes that are not UTF-8.
    std::string next();
    // True when D-Bus can carry `s` at all: valid UTF-8 without NUL.
    static bool busCanCarry(const std::string& s);
    uint32_t pick(uint32_t n) { return static_cast<uint32_t>(rng_() % n); }

private:
    std::string codePoints(size_t count, bool controls);
    std::string invalidBytes(size_t count);
    std::mt19937 rng_;
};

// VmRSS of `pid` in KiB (0 when unreadable).
uint64_t residentKiB(pid_t pid);
// Size of a file in bytes (0 when absent).
uint64_t fileSize(const std::string& path);

}  // namespace zenith::bustest
