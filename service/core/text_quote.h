// Renders user-supplied text inside error messages: control bytes become
// \xNN and long values are cut, so a hostile value cannot forge extra log
// lines or bloat a D-Bus error. Never call it on a secret.
#pragma once

#include <string>
#include <string_view>

namespace zenith::core {

std::string quoteForMessage(std::string_view value, size_t maxLen = 80);

// True when `s` holds a byte below 0x20 or 0x7f (they would end up in config files).
bool hasControlChars(std::string_view s);

}  // namespace zenith::core
