// Errors of libzenith-client. A failed call keeps the D-Bus error name and
// message it got from the daemon, plus a kind to switch on; names the
// library does not know become ErrorKind::Other with the name kept.
#pragma once

#include <expected>
#include <string>
#include <string_view>

#include "zenith/client/export.h"

namespace zenith::client {

enum class ErrorKind {
    NoSuchMachine,
    MachineExists,
    NoSuchJob,
    NoSuchImage,
    Busy,
    NotCancelable,
    Cancelled,
    AddressExhausted,
    BackendUnavailable,
    BackendFailed,
    InvalidArgs,
    AccessDenied,
    InteractiveAuthorizationRequired,
    LimitsExceeded,
    NotSupported,  // the machine's backend cannot do it (extension)
    Disconnected,  // no bus, the daemon is not running, or it left mid-call
    Timeout,       // no reply or the job did not finish in time
    Other,
};

struct Error {
    ErrorKind kind = ErrorKind::Other;
    std::string name;     // D-Bus error name, e.g. org.zenith.Provisioner.Error.Busy
    std::string message;  // the daemon's human text
};

template <typename T>
using Result = std::expected<T, Error>;

// Accepts the full D-Bus name and the daemon's short form ("Busy"), because
// a job's ErrorName property may carry either.
ZENITH_CLIENT_EXPORT ErrorKind errorKindFromName(std::string_view name);
// "NoSuchMachine", ..., "Other".
ZENITH_CLIENT_EXPORT std::string_view errorKindName(ErrorKind kind);
// The canonical D-Bus name of a kind ("" for Disconnected/Timeout/Other,
// which have no single name).
ZENITH_CLIENT_EXPORT std::string_view errorNameOf(ErrorKind kind);

ZENITH_CLIENT_EXPORT Error makeError(ErrorKind kind, std::string message);

}  // namespace zenith::client
