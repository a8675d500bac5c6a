// a{sv} from the bus -> core::SpecMap, so that spec validation never sees
// D-Bus. Only the signatures core/spec_value.h can carry are accepted; any
// other one is InvalidArgs naming the key and the signature received.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <sdbus-c++/Types.h>

#include "core/error.h"
#include "core/spec_value.h"

namespace zenith::dbus {

// `argument` names the method argument in messages ("spec", "overrides").
core::Result<core::SpecMap> specFromVariants(const std::map<std::string, sdbus::Variant>& raw,
                                             std::string_view argument);

}  // namespace zenith::dbus
