// Machine names and their object-path labels.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace zenith::core {

// ^[a-z][a-z0-9-]{0,62}$ ; InvalidArgs naming `what` ("name", "new_name", ...).
Result<void> validateMachineName(std::string_view name, std::string_view what = "name");

// systemd's bus_label_escape: every byte outside [A-Za-z0-9], and a leading
// digit, becomes '_' + two lowercase hex digits; "" becomes "_".
std::string busLabelEscape(std::string_view s);
// Inverse; nullopt for a malformed label.
std::optional<std::string> busLabelUnescape(std::string_view label);

inline constexpr std::string_view kRootPath = "/org/zenith/Provisioner";
std::string machineObjectPath(std::string_view name);
std::string jobObjectPath(uint32_t id);

}  // namespace zenith::core
