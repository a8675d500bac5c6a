#include "dbus/caller.h"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <systemd/sd-bus.h>

namespace zenith::dbus {

namespace {

// sdbus-c++ 1.2 offers neither the ALLOW_INTERACTIVE_AUTHORIZATION header
// flag nor creds without SD_BUS_CREDS_AUGMENT (which would read the uid from
// /proc/<pid>, racy against a caller that exits and its pid being reused).
// Both need the raw sd_bus_message*, which sdbus::Message keeps in its
// protected `msg_`. A pointer-to-member formed through a derived class is the
// standard-conforming way to read a protected member of a base object we did
// not create; nothing is instantiated or modified.
struct MessageAccess : sdbus::Message {
    static sd_bus_message* raw(const sdbus::Message& m)
    {
        return static_cast<sd_bus_message*>(m.*(&MessageAccess::msg_));
    }
};

}  // namespace

core::Result<CallerInfo> callerOf(const sdbus::Message& message)
{
    sd_bus_message* m = MessageAccess::raw(message);
    if (!m)
        return core::fail(core::ErrorCode::AccessDenied, "no message to identify the caller");

    CallerInfo info;
    if (const char* sender = sd_bus_message_get_sender(m))
        info.sender = sender;
    if (info.sender.empty())
        return core::fail(core::ErrorCode::AccessDenied, "caller has no bus name");

    // Without AUGMENT sd-bus asks the bus broker (GetConnectionCredentials),
    // which records the uid when the peer connected.
    sd_bus_creds* creds = nullptr;
    int r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_UID | SD_BUS_CREDS_EUID, &creds);
    if (r < 0)
        return core::fail(core::ErrorCode::AccessDenied,
                          fmt::format("cannot read the credentials of {}: {}", info.sender, std::strerror(-r)));
    uid_t uid = 0;
    r = sd_bus_creds_get_euid(creds, &uid);
    if (r < 0)
        r = sd_bus_creds_get_uid(creds, &uid);
    sd_bus_creds_unref(creds);
    if (r < 0)
        return core::fail(core::ErrorCode::AccessDenied,
                          fmt::format("cannot read the uid of {}: {}", info.sender, std::strerror(-r)));
    info.uid = uid;
    info.allowInteractive = sd_bus_message_get_allow_interactive_authorization(m) > 0;
    return info;
}

core::Result<CallerInfo> currentCaller(const sdbus::IObject& object)
{
    const sdbus::Message* msg = object.getCurrentlyProcessedMessage();
    if (!msg)
        return core::fail(core::ErrorCode::AccessDenied, "no message to identify the caller");
    return callerOf(*msg);
}

}  // namespace zenith::dbus
