#pragma once

#include <cstdint>

#include "core/error.h"

namespace zenith::core {

// `flags` bits of the bus contract.
inline constexpr uint64_t kFlagForce = 1;    // destroy/stop a running machine
inline constexpr uint64_t kFlagNoStart = 2;  // create without starting
inline constexpr uint64_t kFlagDryRun = 4;   // validate + authorize, change nothing
inline constexpr uint64_t kFlagsKnown = kFlagForce | kFlagNoStart | kFlagDryRun;
// Extension, DestroyMachine only: back the machine up first (a backend with
// backups); the destroy does not start if the backup fails.
inline constexpr uint64_t kFlagBackupFirst = 8;

// Unknown bits are an InvalidArgs error (like importd's *Ex calls).
Result<void> validateFlags(uint64_t flags, uint64_t allowed = kFlagsKnown);

}  // namespace zenith::core
