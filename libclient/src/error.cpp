#include "zenith/client/error.h"

#include <array>
#include <utility>

namespace zenith::client {
namespace {

struct NamedKind {
    std::string_view name;
    ErrorKind kind;
};

constexpr std::string_view kZenithPrefix = "org.zenith.Provisioner.Error.";
constexpr std::string_view kDBusPrefix = "org.freedesktop.DBus.Error.";

// The contract's names, in the contract's order; the first entry of a kind
// is its canonical name.
constexpr std::array kNames{
    NamedKind{"org.zenith.Provisioner.Error.NoSuchMachine", ErrorKind::NoSuchMachine},
    NamedKind{"org.zenith.Provisioner.Error.MachineExists", ErrorKind::MachineExists},
    NamedKind{"org.zenith.Provisioner.Error.NoSuchJob", ErrorKind::NoSuchJob},
    NamedKind{"org.zenith.Provisioner.Error.NoSuchImage", ErrorKind::NoSuchImage},
    NamedKind{"org.zenith.Provisioner.Error.Busy", ErrorKind::Busy},
    NamedKind{"org.zenith.Provisioner.Error.NotCancelable", ErrorKind::NotCancelable},
    NamedKind{"org.zenith.Provisioner.Error.Cancelled", ErrorKind::Cancelled},
    NamedKind{"org.zenith.Provisioner.Error.AddressExhausted", ErrorKind::AddressExhausted},
    NamedKind{"org.zenith.Provisioner.Error.BackendUnavailable", ErrorKind::BackendUnavailable},
    NamedKind{"org.zenith.Provisioner.Error.BackendFailed", ErrorKind::BackendFailed},
    NamedKind{"org.freedesktop.DBus.Error.InvalidArgs", ErrorKind::InvalidArgs},
    NamedKind{"org.freedesktop.DBus.Error.AccessDenied", ErrorKind::AccessDenied},
    NamedKind{"org.freedesktop.DBus.Error.InteractiveAuthorizationRequired",
              ErrorKind::InteractiveAuthorizationRequired},
    NamedKind{"org.freedesktop.DBus.Error.LimitsExceeded", ErrorKind::LimitsExceeded},
    NamedKind{"org.freedesktop.DBus.Error.NotSupported", ErrorKind::NotSupported},
    // What the bus or sd-bus answers when the daemon is not there or did
    // not answer; callers care about "unreachable" and "too slow", not which.
    NamedKind{"org.freedesktop.DBus.Error.ServiceUnknown", ErrorKind::Disconnected},
    NamedKind{"org.freedesktop.DBus.Error.NameHasNoOwner", ErrorKind::Disconnected},
    NamedKind{"org.freedesktop.DBus.Error.Disconnected", ErrorKind::Disconnected},
    NamedKind{"org.freedesktop.DBus.Error.NoServer", ErrorKind::Disconnected},
    NamedKind{"org.freedesktop.DBus.Error.FileNotFound", ErrorKind::Disconnected},
    NamedKind{"org.freedesktop.DBus.Error.NoReply", ErrorKind::Timeout},
    NamedKind{"org.freedesktop.DBus.Error.Timeout", ErrorKind::Timeout},
    NamedKind{"org.freedesktop.DBus.Error.TimedOut", ErrorKind::Timeout},
    // Peers that speak errno (sd-bus maps EACCES/EPERM this way).
    NamedKind{"System.Error.EACCES", ErrorKind::AccessDenied},
    NamedKind{"System.Error.EPERM", ErrorKind::AccessDenied},
};

std::string_view shortName(std::string_view name)
{
    if (name.starts_with(kZenithPrefix))
        return name.substr(kZenithPrefix.size());
    if (name.starts_with(kDBusPrefix))
        return name.substr(kDBusPrefix.size());
    return name;
}

}  // namespace

ErrorKind errorKindFromName(std::string_view name)
{
    for (const auto& entry : kNames)
        if (entry.name == name)
            return entry.kind;
    // The short form only for the contract's own names: "Busy" from a job's
    // ErrorName, never a random "Timeout" from some other domain.
    if (name.find('.') == std::string_view::npos) {
        for (const auto& entry : kNames)
            if (entry.kind <= ErrorKind::NotSupported && shortName(entry.name) == name)
                return entry.kind;
    }
    return ErrorKind::Other;
}

std::string_view errorKindName(ErrorKind kind)
{
    switch (kind) {
    case ErrorKind::NoSuchMachine: return "NoSuchMachine";
    case ErrorKind::MachineExists: return "MachineExists";
    case ErrorKind::NoSuchJob: return "NoSuchJob";
    case ErrorKind::NoSuchImage: return "NoSuchImage";
    case ErrorKind::Busy: return "Busy";
    case ErrorKind::NotCancelable: return "NotCancelable";
    case ErrorKind::Cancelled: return "Cancelled";
    case ErrorKind::AddressExhausted: return "AddressExhausted";
    case ErrorKind::BackendUnavailable: return "BackendUnavailable";
    case ErrorKind::BackendFailed: return "BackendFailed";
    case ErrorKind::InvalidArgs: return "InvalidArgs";
    case ErrorKind::AccessDenied: return "AccessDenied";
    case ErrorKind::InteractiveAuthorizationRequired: return "InteractiveAuthorizationRequired";
    case ErrorKind::LimitsExceeded: return "LimitsExceeded";
    case ErrorKind::NotSupported: return "NotSupported";
    case ErrorKind::Disconnected: return "Disconnected";
    case ErrorKind::Timeout: return "Timeout";
    case ErrorKind::Other: return "Other";
    }
    return "Other";
}

std::string_view errorNameOf(ErrorKind kind)
{
    if (kind > ErrorKind::NotSupported)
        return {};
    for (const auto& entry : kNames)
        if (entry.kind == kind)
            return entry.name;
    return {};
}

Error makeError(ErrorKind kind, std::string message)
{
    return Error{kind, std::string(errorNameOf(kind)), std::move(message)};
}

}  // namespace zenith::client
