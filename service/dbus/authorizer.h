// Who may do what. The facade asks before every privileged action; the
// answer arrives later on the loop (polkit may be asking a human).
#pragma once

#include <functional>
#include <string>

#include "core/engine.h"
#include "core/error.h"
#include "dbus/caller.h"

namespace zenith::dbus {

struct AuthRequest {
    std::string action;        // polkit action suffix: create|clone|destroy|power|template|read|cancel-other
    std::string verb;          // detail `verb`: the operation (create, start, cancel, list ...)
    std::string machine;       // details: "" when not applicable (and then not passed)
    std::string backend;
    std::string source;        // clone: the machine copied
    std::string templateName;  // create from a template, or a clone whose source is a template
    std::string node;
    std::string vmid;          // Proxmox guest id, decimal ("9101")
    std::string bridge;        // the bridge the machine joins (the default one included)
    std::string hostPorts;     // "80,443": host ports the machine publishes
};

// What polkit is told about a validated change request.
AuthRequest authRequestFor(const core::Request& request);

// Called exactly once, on the loop: success, or AccessDenied /
// InteractiveAuthorizationRequired with a message saying why.
using AuthCallback = std::function<void(core::Result<void>)>;

class Authorizer {
public:
    virtual ~Authorizer() = default;
    virtual void check(const CallerInfo& caller, const AuthRequest& request, AuthCallback done) = 0;
};

}  // namespace zenith::dbus
