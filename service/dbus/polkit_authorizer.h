// Authorization through org.freedesktop.PolicyKit1 on the daemon's own
// connection, asynchronously: the loop keeps serving while polkit (or the
// human it asks) decides. Root passes without asking; any failure to get an
// answer denies (fail closed). An interactive answer can take minutes: a
// yes counts only if the caller is still on the bus to hear it (otherwise
// its call timed out long ago and it never learns of a job started in its
// name), so it is checked once more then.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <sdbus-c++/IConnection.h>
#include <sdbus-c++/IProxy.h>

#include "dbus/authorizer.h"

namespace zenith::dbus {

inline constexpr std::string_view kPolkitActionPrefix = "org.zenith.provisioner.";
inline constexpr uint32_t kPolkitAllowUserInteraction = 1;

std::string polkitActionId(std::string_view suffix);
// verb, machine, backend always; source, template, node, bridge and
// host_ports only when known.
std::map<std::string, std::string> polkitDetails(const AuthRequest& request);
// Maps CheckAuthorization's (is_authorized, is_challenge) to our answer.
core::Result<void> polkitDecision(bool isAuthorized, bool isChallenge, bool interactionAllowed,
                                  std::string_view actionId);

class PolkitAuthorizer final : public Authorizer {
public:
    explicit PolkitAuthorizer(sdbus::IConnection& connection);
    ~PolkitAuthorizer() override;
    void check(const CallerInfo& caller, const AuthRequest& request, AuthCallback done) override;

private:
    // On the loop, after polkit said yes to an interactive check.
    void confirmCallerStillThere(const CallerInfo& caller, const std::string& actionId, AuthCallback done);

    std::unique_ptr<sdbus::IProxy> authority_;
    std::unique_ptr<sdbus::IProxy> bus_;  // org.freedesktop.DBus, for NameHasOwner
};

}  // namespace zenith::dbus
