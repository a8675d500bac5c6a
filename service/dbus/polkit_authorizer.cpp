#include "dbus/polkit_authorizer.h"

#include <chrono>

#include <fmt/format.h>
#include <sdbus-c++/sdbus-c++.h>

#include "core/log.h"

namespace zenith::dbus {

namespace {

using namespace std::chrono_literals;

// Without interaction polkit answers at once; a missing or wedged polkitd
// must not hold the caller longer than its own default call timeout (25 s).
constexpr auto kTimeout = 20s;
// With interaction a human types a password; the caller chose to wait.
constexpr auto kInteractiveTimeout = 5min;

using Subject = sdbus::Struct<std::string, std::map<std::string, sdbus::Variant>>;
using AuthResult = sdbus::Struct<bool, bool, std::map<std::string, std::string>>;

}  // namespace

std::string polkitActionId(std::string_view suffix)
{
    return fmt::format("{}{}", kPolkitActionPrefix, suffix);
}

std::map<std::string, std::string> polkitDetails(const AuthRequest& request)
{
    std::map<std::string, std::string> d{
        {"verb", request.verb},
        {"machine", request.machine},
        {"backend", request.backend},
    };
    // Only what is known: a rule can test `action.lookup("bridge")` for
    // undefined to tell "no bridge" from any bridge name.
    for (const auto& [key, value] : {std::pair<const char*, const std::string&>{"source", request.source},
                                     {"template", request.templateName},
                                     {"node", request.node},
                                     {"vmid", request.vmid},
                                     {"bridge", request.bridge},
                                     {"host_ports", request.hostPorts}})
        if (!value.empty())
            d.emplace(key, value);
    return d;
}

AuthRequest authRequestFor(const core::Request& req)
{
    std::string ports;
    for (uint16_t p : req.hostPorts)
        ports += (ports.empty() ? "" : ",") + std::to_string(p);
    return AuthRequest{.action = std::string(req.actionVerb()),
                       .verb = std::string(req.operationName()),
                       .machine = req.machine,
                       .backend = req.backend,
                       .source = req.source,
                       .templateName = req.templateName,
                       .node = req.node,
                       .vmid = req.vmid ? std::to_string(req.vmid) : std::string(),
                       .bridge = req.bridge,
                       .hostPorts = std::move(ports)};
}

core::Result<void> polkitDecision(bool isAuthorized, bool isChallenge, bool interactionAllowed,
                                  std::string_view actionId)
{
    if (isAuthorized)
        return {};
    if (isChallenge && !interactionAllowed)
        return core::fail(core::ErrorCode::InteractiveAuthorizationRequired,
                          fmt::format("{} needs interactive authentication; call with "
                                      "ALLOW_INTERACTIVE_AUTHORIZATION or ask an administrator for a polkit rule",
                                      actionId));
    return core::fail(core::ErrorCode::AccessDenied, fmt::format("{} is not allowed by polkit", actionId));
}

PolkitAuthorizer::PolkitAuthorizer(sdbus::IConnection& connection)
    : authority_(sdbus::createProxy(connection, "org.freedesktop.PolicyKit1", "/org/freedesktop/PolicyKit1/Authority")),
      bus_(sdbus::createProxy(connection, "org.freedesktop.DBus", "/org/freedesktop/DBus"))
{
}

void PolkitAuthorizer::confirmCallerStillThere(const CallerInfo& caller, const std::string& actionId,
                                               AuthCallback done)
{
    const log::Context ctx{.uid = caller.uid};
    auto gone = [done, actionId] {
        done(core::fail(core::ErrorCode::Cancelled,
                        fmt::format("{}: the caller left the bus while polkit was authenticating it; nothing was done",
                                    actionId)));
    };
    try {
        auto call = bus_->createMethodCall("org.freedesktop.DBus", "NameHasOwner");
        call << caller.sender;
        bus_->callMethod(call, [done, gone, ctx, sender = caller.sender](sdbus::MethodReply& reply,
                                                                          const sdbus::Error* error) {
            bool owned = false;
            if (!error) {
                try {
                    reply >> owned;
                } catch (const sdbus::Error&) {
                }
            }
            if (owned)
                return done({});
            log::info(ctx, "{} left before its interactive authorization finished; not acting", sender);
            gone();
        });
    } catch (const sdbus::Error&) {
        gone();
    }
}

PolkitAuthorizer::~PolkitAuthorizer() = default;

void PolkitAuthorizer::check(const CallerInfo& caller, const AuthRequest& request, AuthCallback done)
{
    const std::string actionId = polkitActionId(request.action);
    const log::Context ctx{.uid = caller.uid, .machine = request.machine};
    if (caller.uid == 0) {
        log::debug(ctx, "{} granted to root without asking polkit", actionId);
        done({});
        return;
    }

    const bool interactive = caller.allowInteractive;
    try {
        auto call = authority_->createMethodCall("org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
        Subject subject{std::string("system-bus-name"),
                        std::map<std::string, sdbus::Variant>{{"name", sdbus::Variant(caller.sender)}}};
        call << subject << actionId << polkitDetails(request)
             << uint32_t(interactive ? kPolkitAllowUserInteraction : 0) << std::string();
        auto timeout = std::chrono::duration_cast<std::chrono::microseconds>(interactive ? kInteractiveTimeout
                                                                                         : kTimeout);
        authority_->callMethod(
            call,
            [this, caller, done, actionId, interactive, ctx](sdbus::MethodReply& reply, const sdbus::Error* error) {
                if (error) {
                    log::warning(ctx, "polkit unreachable for {} ({}: {}); denying", actionId, error->getName(),
                                 error->getMessage());
                    done(core::fail(core::ErrorCode::AccessDenied,
                                    fmt::format("{} denied: polkit could not be asked ({})", actionId,
                                                error->getName())));
                    return;
                }
                AuthResult result;
                try {
                    reply >> result;
                } catch (const sdbus::Error& e) {
                    log::warning(ctx, "malformed polkit answer for {}: {}", actionId, e.getMessage());
                    done(core::fail(core::ErrorCode::AccessDenied,
                                    fmt::format("{} denied: malformed polkit answer", actionId)));
                    return;
                }
                auto decision = polkitDecision(std::get<0>(result), std::get<1>(result), interactive, actionId);
                if (decision && interactive)
                    return confirmCallerStillThere(caller, actionId, done);
                done(decision);
            },
            uint64_t(timeout.count()));
    } catch (const sdbus::Error& e) {
        log::warning(ctx, "cannot ask polkit for {} ({}); denying", actionId, e.getMessage());
        done(core::fail(core::ErrorCode::AccessDenied,
                        fmt::format("{} denied: polkit could not be asked", actionId)));
    }
}

}  // namespace zenith::dbus
