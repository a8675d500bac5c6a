// zenithctl's exit codes: one per thing a caller (a panel over SSH, a
// script) wants to branch on. Documented in --help and README.md.
#pragma once

#include <string_view>

#include "zenith/client/error.h"
#include "zenith/client/types.h"

namespace zenithctl {

enum class ExitCode : int {
    Ok = 0,
    Failed = 1,       // the job failed, or an error with no better code
    BadInput = 2,    // usage error, InvalidArgs or NotSupported
    Denied = 3,      // AccessDenied, InteractiveAuthorizationRequired
    NotFound = 4,    // NoSuchMachine, NoSuchJob, NoSuchImage
    Cancelled = 5,   // the job was cancelled
    Conflict = 6,    // Busy, LimitsExceeded, MachineExists, NotCancelable
    Unavailable = 7, // no bus or daemon, timeout, BackendUnavailable
};

ExitCode exitCodeFor(zenith::client::ErrorKind kind);
ExitCode exitCodeFor(const zenith::client::JobResult& result);
inline int toInt(ExitCode c) { return static_cast<int>(c); }

// The table printed at the end of --help.
std::string_view exitCodeHelp();

}  // namespace zenithctl
