// a{sv} from the bus -> core::SpecMap, so that spec validation never sees
// D-Bus. Only the signatures core/spec_value.h can carry are accepted; any
// other one is InvalidArgs naming the key and the signature received.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include <sdbus-c++/Types.h>

#include "core/error.h"
#include "core/spec.h"
#include "core/spec_value.h"

namespace zenith::dbus {

// `argument` names the method argument in messages ("spec", "overrides");
// `isKey` says which keys exist at all (the common ones and those of the
// configured backends), so an unknown key is named as unknown before its
// value's type is looked at.
core::Result<core::SpecMap> specFromVariants(const std::map<std::string, sdbus::Variant>& raw,
                                             std::string_view argument,
                                             const std::function<bool(std::string_view)>& isKey = core::isSpecKey);

}  // namespace zenith::dbus
