// Domain errors. Every fallible core/driver call returns Result<T>; the only
// translation to bus error names lives in service/dbus/error_map.*, and
// libclient maps the names back.
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace zenith::core {

enum class ErrorCode {
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
    // The backend has no such capability (backups on nspawn, ...): an
    // extension, org.freedesktop.DBus.Error.NotSupported on the bus.
    NotSupported,
};

struct Error {
    ErrorCode code;
    std::string message;  // what and why; never a secret

    bool operator==(const Error&) const = default;
};

template <typename T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(ErrorCode code, std::string message)
{
    return std::unexpected<Error>(Error{code, std::move(message)});
}

// Stable short name of a code ("NoSuchMachine"), used in logs and the DB.
std::string_view errorCodeName(ErrorCode code);

}  // namespace zenith::core
