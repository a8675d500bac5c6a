// The path every bus request takes before the engine acts: validated
// (InvalidArgs changes nothing), authorized (polkit, asynchronously), then
// submitted. Every decision is logged with the caller's uid, the machine and
// the job; every refusal is audited. Anyone may call, so what a refusal
// writes is bounded: names are cut and escaped, and refusals of one uid are
// rate-limited (the rest are counted and the count is written later).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "core/engine.h"
#include "core/rate_limit.h"
#include "dbus/authorizer.h"
#include "dbus/caller.h"
#include "bus_loop/event_loop.h"

namespace zenith::dbus {

class RequestGate {
public:
    // `onSubmitted` runs on the loop right after the engine accepted a job,
    // before the caller's reply: it puts the new objects on the bus.
    // `loop` (optional) writes the count of held-back refusals a while after
    // the last one, instead of waiting for the next refusal that passes.
    RequestGate(core::Engine& engine, Authorizer& authorizer, std::function<void(const core::Submitted&)> onSubmitted,
                busloop::EventLoop* loop = nullptr);
    // Writes the counts the rate limit held back (at shutdown, while the
    // engine still exists).
    void flushSuppressed();

    // Refusals of one uid written at once, then one per interval.
    static constexpr uint32_t kRefusalBurst = 10;
    static constexpr std::chrono::seconds kRefusalInterval{2};
    // Checks one uid may have waiting for polkit at once; more is
    // LimitsExceeded (each holds its request in memory until polkit answers).
    static constexpr uint32_t kMaxPendingPerUid = 32;

    // What a refused request is audited and logged as, when `prepared`
    // failed and so cannot say.
    struct Subject {
        std::string verb;     // create|clone|destroy|start|stop|template|backup
        std::string machine;
        std::string backend;
    };

    // create/clone/destroy/start/stop/template/backup.
    void submitChange(const CallerInfo& caller, core::Result<core::Request> prepared, const Subject& subject,
                      std::function<void(core::Result<core::Submitted>)> done);

    // GetMachine/List*/GetHealth: the `read` action.
    void authorizeRead(const CallerInfo& caller, const std::string& verb, const std::string& machine,
                       const std::string& backend, std::function<void(core::Result<void>)> done);

    // CancelJob / Job.Cancel: one's own job (or root) directly, another
    // uid's job only with `cancel-other`.
    void cancel(const CallerInfo& caller, uint32_t jobId, std::function<void(core::Result<void>)> done);

private:
    void refused(const CallerInfo& caller, const Subject& subject, std::string_view outcome, const core::Error& error,
                 uint32_t job = 0);
    void reportSuppressed(uint32_t uid, uint64_t count);
    // polkit asked on behalf of `caller`, with the per-uid bound; `done` runs once.
    void authorize(const CallerInfo& caller, const AuthRequest& request, AuthCallback done);

    core::Engine& engine_;
    Authorizer& authorizer_;
    std::function<void(const core::Submitted&)> onSubmitted_;
    core::UidRateLimiter refusals_{kRefusalBurst, kRefusalInterval};
    busloop::EventLoop* loop_ = nullptr;
    busloop::EventLoop::Timer flushTimer_;
    std::map<uint32_t, uint32_t> pending_;  // uid -> checks waiting for polkit
};

}  // namespace zenith::dbus
