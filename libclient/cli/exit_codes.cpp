#include "exit_codes.h"

namespace zenithctl {

using zenith::client::ErrorKind;

ExitCode exitCodeFor(ErrorKind kind)
{
    switch (kind) {
    case ErrorKind::InvalidArgs:
    case ErrorKind::NotSupported: return ExitCode::BadInput;
    case ErrorKind::AccessDenied:
    case ErrorKind::InteractiveAuthorizationRequired: return ExitCode::Denied;
    case ErrorKind::NoSuchMachine:
    case ErrorKind::NoSuchJob:
    case ErrorKind::NoSuchImage: return ExitCode::NotFound;
    case ErrorKind::Cancelled: return ExitCode::Cancelled;
    case ErrorKind::Busy:
    case ErrorKind::LimitsExceeded:
    case ErrorKind::MachineExists:
    case ErrorKind::NotCancelable: return ExitCode::Conflict;
    case ErrorKind::Disconnected:
    case ErrorKind::Timeout:
    case ErrorKind::BackendUnavailable: return ExitCode::Unavailable;
    case ErrorKind::AddressExhausted:
    case ErrorKind::BackendFailed:
    case ErrorKind::Other: return ExitCode::Failed;
    }
    return ExitCode::Failed;
}

// A job that ran and failed is "1" whatever its error: the caller asked for
// work and it did not happen. Errors before a job exists get finer codes.
ExitCode exitCodeFor(const zenith::client::JobResult& result)
{
    switch (result.outcome) {
    case zenith::client::JobOutcome::Done: return ExitCode::Ok;
    case zenith::client::JobOutcome::Cancelled: return ExitCode::Cancelled;
    case zenith::client::JobOutcome::Failed: return ExitCode::Failed;
    }
    return ExitCode::Failed;
}

std::string_view exitCodeHelp()
{
    return "Exit codes:\n"
           "  0  success (with --no-wait: the job was submitted)\n"
           "  1  the job failed (or another error without a better code)\n"
           "  2  bad input: usage error, InvalidArgs or NotSupported\n"
           "  3  denied: AccessDenied or InteractiveAuthorizationRequired\n"
           "  4  not found: NoSuchMachine, NoSuchJob, NoSuchImage\n"
           "  5  the job was cancelled\n"
           "  6  conflict: Busy, LimitsExceeded, MachineExists, NotCancelable\n"
           "  7  unavailable: no bus or daemon, timed out, BackendUnavailable\n";
}

}  // namespace zenithctl
