// Between the public types and sdbus-c++ values.
#pragma once

#include <map>
#include <string>

#include <sdbus-c++/Types.h>

#include "zenith/client/spec.h"
#include "zenith/client/types.h"

namespace zenith::client::detail {

using VariantMap = std::map<std::string, sdbus::Variant>;

VariantMap toVariantMap(const Spec& spec);
// Properties of one GetAll; missing or mistyped ones keep their defaults so
// that an older or newer daemon still yields what it can.
MachineInfo machineFromProperties(const VariantMap& props, std::string path);
JobStatus jobFromProperties(const VariantMap& props, std::string path);
// GetHealth's a{sv}, read the same forgiving way.
MachineHealth healthFromMap(const VariantMap& values);
// BackupMachine's options: only those given.
VariantMap toVariantMap(const BackupOptions& options);
// Applies a PropertiesChanged subset onto `status`.
void applyJobProperties(JobStatus& status, const VariantMap& changed);

}  // namespace zenith::client::detail
