// URL facts shared by the config parser and the mirror lookup.
#pragma once

#include <string_view>

namespace zenith::core {

// "scheme://user[:password]@host/...": credentials in the authority part.
// Such a URL must not be used as a mirror: it would reach debootstrap's
// argv (readable by every user), the logs and job messages.
bool urlHasCredentials(std::string_view url);

}  // namespace zenith::core
