// The one table between core::ErrorCode and bus error names. libclient keeps
// the inverse on the client side; the names are part of the bus contract.
#pragma once

#include <optional>
#include <string_view>

#include <sdbus-c++/Error.h>

#include "core/error.h"

namespace zenith::dbus {

std::string_view busErrorName(core::ErrorCode code);
std::optional<core::ErrorCode> errorCodeFromBusName(std::string_view name);
// From the short core name ("NoSuchMachine", as in JobSnapshot::errorName).
std::optional<core::ErrorCode> errorCodeFromShortName(std::string_view name);

sdbus::Error toSdbusError(const core::Error& error);
// An unknown name (a bug, or a peer's own error) becomes BackendFailed so the
// caller still gets a named, documented error.
core::Error fromSdbusError(const sdbus::Error& error);

// The bus name to show in a Job's ErrorName for a JobSnapshot::errorName
// (empty stays empty; an unknown short name is passed through unchanged).
std::string busErrorNameForJob(std::string_view shortName);

}  // namespace zenith::dbus
