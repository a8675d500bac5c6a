// The path every bus request takes before the engine acts: validated
// (InvalidArgs changes nothing), authorized (polkit, asynchronously), then
// submitted. Every request and decision is logged with the caller's uid, the
// machine and the job; every refusal is audited.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/engine.h"
#include "dbus/authorizer.h"
#include "dbus/caller.h"

namespace zenith::dbus {

class RequestGate {
public:
    // `onSubmitted` runs on the loop right after the engine accepted a job,
    // before the caller's reply: it puts the new objects on the bus.
    RequestGate(core::Engine& engine, Authorizer& authorizer, std::function<void(const core::Submitted&)> onSubmitted);

    // What a refused request is audited and logged as, when `prepared`
    // failed and so cannot say.
    struct Subject {
        std::string verb;     // create|clone|destroy|start|stop|template
        std::string machine;
        std::string backend;
    };

    // create/clone/destroy/start/stop/template.
    void submitChange(const CallerInfo& caller, core::Result<core::Request> prepared, const Subject& subject,
                      std::function<void(core::Result<core::Submitted>)> done);

    // GetMachine/List*: the `read` action.
    void authorizeRead(const CallerInfo& caller, const std::string& verb, const std::string& machine,
                       const std::string& backend, std::function<void(core::Result<void>)> done);

    // CancelJob / Job.Cancel: one's own job (or root) directly, another
    // uid's job only with `cancel-other`.
    void cancel(const CallerInfo& caller, uint32_t jobId, std::function<void(core::Result<void>)> done);

private:
    void refused(const CallerInfo& caller, const Subject& subject, std::string_view outcome, const core::Error& error,
                 uint32_t job = 0);

    core::Engine& engine_;
    Authorizer& authorizer_;
    std::function<void(const core::Submitted&)> onSubmitted_;
};

}  // namespace zenith::dbus
