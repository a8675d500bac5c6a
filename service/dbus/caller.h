// Who sent the message being handled: what polkit, the audit trail and the
// "own job" rule of Cancel need. Read once, at the start of a handler, while
// the message is still the connection's current one.
#pragma once

#include <cstdint>
#include <string>

#include <sdbus-c++/IObject.h>
#include <sdbus-c++/Message.h>

#include "core/error.h"

namespace zenith::dbus {

struct CallerInfo {
    std::string sender;             // unique bus name, the polkit subject
    uint32_t uid = 0;
    bool allowInteractive = false;  // ALLOW_INTERACTIVE_AUTHORIZATION header flag
};

core::Result<CallerInfo> callerOf(const sdbus::Message& message);
// The message `object` is handling right now.
core::Result<CallerInfo> currentCaller(const sdbus::IObject& object);

}  // namespace zenith::dbus
