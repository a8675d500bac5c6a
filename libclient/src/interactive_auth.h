// ALLOW_INTERACTIVE_AUTHORIZATION for sdbus-c++ 1.2, which has no API for
// that header flag (sdbus-c++ 2.0 added one).
#pragma once

#include <sdbus-c++/IConnection.h>

namespace zenith::client::detail {

// Makes every message later created on `connection` carry the flag (sd-bus
// copies the bus-wide setting into each new message's header).
void allowInteractiveAuthorization(sdbus::IConnection& connection);

}  // namespace zenith::client::detail
