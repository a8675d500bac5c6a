// The one fake dbus::Authorizer. Like PolkitAuthorizer it answers later, on
// the loop (never inside check()), exactly once per check; it records every
// request so tests can see which action and details polkit would have been
// asked about. It answers yes, or the error a test scripts with denyWith().
// Unlike polkit it asks nothing of the uid: tests run as root, and the
// real authorizer's "root passes" would hide every refusal.
#pragma once

#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "dbus/authorizer.h"
#include "bus_loop/event_loop.h"

namespace zenith::testsupport {

class FakeAuthorizer final : public dbus::Authorizer {
public:
    explicit FakeAuthorizer(busloop::EventLoop& loop) : loop_(loop) {}

    // Every later check answers `error` (AccessDenied,
    // InteractiveAuthorizationRequired, ...); allow() undoes it.
    void denyWith(core::Error error);
    void allow();

    void check(const dbus::CallerInfo& caller, const dbus::AuthRequest& request, dbus::AuthCallback done) override;

    size_t count() const;
    std::vector<std::pair<dbus::CallerInfo, dbus::AuthRequest>> asked() const;

private:
    busloop::EventLoop& loop_;
    mutable std::mutex mu_;
    std::optional<core::Error> refusal_;
    std::vector<std::pair<dbus::CallerInfo, dbus::AuthRequest>> asked_;
};

}  // namespace zenith::testsupport
