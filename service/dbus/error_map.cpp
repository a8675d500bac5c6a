#include "dbus/error_map.h"

#include <array>
#include <string>
#include <utility>

namespace zenith::dbus {

namespace {

using core::ErrorCode;

constexpr std::array<std::pair<ErrorCode, std::string_view>, 15> kTable{{
    {ErrorCode::NoSuchMachine, "org.zenith.Provisioner.Error.NoSuchMachine"},
    {ErrorCode::MachineExists, "org.zenith.Provisioner.Error.MachineExists"},
    {ErrorCode::NoSuchJob, "org.zenith.Provisioner.Error.NoSuchJob"},
    {ErrorCode::NoSuchImage, "org.zenith.Provisioner.Error.NoSuchImage"},
    {ErrorCode::Busy, "org.zenith.Provisioner.Error.Busy"},
    {ErrorCode::NotCancelable, "org.zenith.Provisioner.Error.NotCancelable"},
    {ErrorCode::Cancelled, "org.zenith.Provisioner.Error.Cancelled"},
    {ErrorCode::AddressExhausted, "org.zenith.Provisioner.Error.AddressExhausted"},
    {ErrorCode::BackendUnavailable, "org.zenith.Provisioner.Error.BackendUnavailable"},
    {ErrorCode::BackendFailed, "org.zenith.Provisioner.Error.BackendFailed"},
    {ErrorCode::InvalidArgs, "org.freedesktop.DBus.Error.InvalidArgs"},
    {ErrorCode::AccessDenied, "org.freedesktop.DBus.Error.AccessDenied"},
    {ErrorCode::InteractiveAuthorizationRequired, "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired"},
    {ErrorCode::LimitsExceeded, "org.freedesktop.DBus.Error.LimitsExceeded"},
    {ErrorCode::NotSupported, "org.freedesktop.DBus.Error.NotSupported"},
}};

}  // namespace

std::string_view busErrorName(ErrorCode code)
{
    for (const auto& [c, name] : kTable)
        if (c == code)
            return name;
    return "org.zenith.Provisioner.Error.BackendFailed";
}

std::optional<ErrorCode> errorCodeFromBusName(std::string_view name)
{
    for (const auto& [c, n] : kTable)
        if (n == name)
            return c;
    return std::nullopt;
}

std::optional<ErrorCode> errorCodeFromShortName(std::string_view name)
{
    for (const auto& [c, n] : kTable)
        if (core::errorCodeName(c) == name)
            return c;
    return std::nullopt;
}

sdbus::Error toSdbusError(const core::Error& error)
{
    return sdbus::Error(std::string(busErrorName(error.code)), error.message);
}

core::Error fromSdbusError(const sdbus::Error& error)
{
    auto code = errorCodeFromBusName(error.getName());
    if (!code)
        return core::Error{ErrorCode::BackendFailed, error.getName() + ": " + error.getMessage()};
    return core::Error{*code, error.getMessage()};
}

std::string busErrorNameForJob(std::string_view shortName)
{
    if (shortName.empty())
        return {};
    if (auto code = errorCodeFromShortName(shortName))
        return std::string(busErrorName(*code));
    return std::string(shortName);
}

}  // namespace zenith::dbus
