#include "interactive_auth.h"

#include <systemd/sd-bus.h>

#include <sdbus-c++/sdbus-c++.h>

#include "zenith/client/client.h"

namespace zenith::client::detail {
namespace {

// sdbus::Message keeps its sd_bus_message* in the protected member msg_.
// Naming it through a derived class yields a plain `void* Message::*`
// (legal for any Message object); sd-bus then gives us the connection's
// sd_bus*, the one thing sdbus-c++ 1.2 does not expose.
struct MessageAccess : sdbus::Message {
    static void* raw(const sdbus::Message& m) { return m.*(&MessageAccess::msg_); }
};

}  // namespace

void allowInteractiveAuthorization(sdbus::IConnection& connection)
{
    auto probe = sdbus::createProxy(connection, kBusName, kRootPath);
    auto call = probe->createMethodCall("org.freedesktop.DBus.Peer", "Ping");
    auto* message = static_cast<sd_bus_message*>(MessageAccess::raw(call));
    sd_bus* bus = message ? sd_bus_message_get_bus(message) : nullptr;
    if (!bus)
        throw sdbus::Error("org.sdbuscpp.Error", "cannot reach the sd-bus connection to allow interactive authorization");
    int r = sd_bus_set_allow_interactive_authorization(bus, 1);
    if (r < 0)
        throw sdbus::Error("org.sdbuscpp.Error", "sd_bus_set_allow_interactive_authorization failed");
}

}  // namespace zenith::client::detail
