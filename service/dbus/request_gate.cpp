#include "dbus/request_gate.h"

#include "core/job.h"
#include "core/log.h"
#include "core/registry.h"
#include "core/text_quote.h"

namespace zenith::dbus {

namespace {

// What of a refused request reaches the log and the audit trail: a machine
// name is at most 63 bytes, so anything longer came from a caller who wanted
// to see it stored.
constexpr size_t kShownNameBytes = 80;
constexpr size_t kShownDetailBytes = 512;

}  // namespace

RequestGate::RequestGate(core::Engine& engine, Authorizer& authorizer,
                         std::function<void(const core::Submitted&)> onSubmitted, busloop::EventLoop* loop)
    : engine_(engine), authorizer_(authorizer), onSubmitted_(std::move(onSubmitted)), loop_(loop)
{
}

void RequestGate::flushSuppressed()
{
    flushTimer_ = {};
    for (auto [uid, count] : refusals_.drainSuppressed())
        reportSuppressed(uid, count);
}

void RequestGate::reportSuppressed(uint32_t uid, uint64_t count)
{
    log::info({.uid = uid}, "{} more refused requests from uid {} were not logged (rate limit)", count, uid);
    core::AuditEntry entry;
    entry.uid = uid;
    entry.verb = "refusals";
    entry.outcome = "suppressed";
    entry.detail = fmt::format("{} refused requests not recorded one by one (rate limit)", count);
    engine_.audit(std::move(entry));
}

void RequestGate::refused(const CallerInfo& caller, const Subject& subject, std::string_view outcome,
                          const core::Error& error, uint32_t job)
{
    auto decision = refusals_.admit(caller.uid);
    if (!decision.record) {
        // The count goes into the trail a little later, even if no refusal
        // of this uid passes again.
        if (loop_ && !flushTimer_)
            flushTimer_ = loop_->addTimer(kRefusalInterval * 5, [this] { flushSuppressed(); });
        return;
    }
    if (decision.suppressed)
        reportSuppressed(caller.uid, decision.suppressed);
    const std::string machine = core::toSingleLine(subject.machine, kShownNameBytes);
    const std::string verb = core::toSingleLine(subject.verb, kShownNameBytes);
    const std::string detail =
        core::toValidUtf8(std::string(core::errorCodeName(error.code)) + ": " + error.message, kShownDetailBytes);
    log::info({.uid = caller.uid, .machine = machine, .job = job ? std::optional<uint32_t>(job) : std::nullopt},
              "{} {} refused ({}): {}", verb, machine, outcome, detail);
    core::AuditEntry entry;
    entry.uid = caller.uid;
    entry.verb = verb;
    entry.machine = machine;
    entry.backend = core::toSingleLine(subject.backend, kShownNameBytes);
    entry.job = job;
    entry.outcome = std::string(outcome);
    entry.detail = detail;
    engine_.audit(std::move(entry));
}

void RequestGate::authorize(const CallerInfo& caller, const AuthRequest& request, AuthCallback done)
{
    if (caller.uid != 0) {
        uint32_t& waiting = pending_[caller.uid];
        if (waiting >= kMaxPendingPerUid) {
            done(core::fail(core::ErrorCode::LimitsExceeded,
                            fmt::format("too many requests of uid {} are waiting for authorization (limit {})",
                                        caller.uid, kMaxPendingPerUid)));
            return;
        }
        ++waiting;
    }
    authorizer_.check(caller, request, [this, uid = caller.uid, done = std::move(done)](core::Result<void> allowed) {
        if (uid != 0)
            if (auto it = pending_.find(uid); it != pending_.end() && --it->second == 0)
                pending_.erase(it);
        done(std::move(allowed));
    });
}

void RequestGate::submitChange(const CallerInfo& caller, core::Result<core::Request> prepared,
                               const Subject& subject, std::function<void(core::Result<core::Submitted>)> done)
{
    if (!prepared) {
        refused(caller, subject, "invalid", prepared.error());
        done(std::unexpected(prepared.error()));
        return;
    }
    const core::Request& req = *prepared;
    Subject known{std::string(req.operationName()), req.machine, req.backend};
    AuthRequest auth = authRequestFor(req);
    // Request is copied into the callback: the spec may hold a password,
    // which lives only as a core::Secret and never reaches a log line here.
    authorize(caller, auth, [this, caller, known, req = *prepared, done](core::Result<void> allowed) {
        if (!allowed) {
            refused(caller, known, "denied", allowed.error());
            done(std::unexpected(allowed.error()));
            return;
        }
        log::info({.uid = caller.uid, .machine = req.machine}, "{} {} authorized for {}", known.verb, req.machine,
                  caller.sender);
        auto submitted = engine_.submit(req, caller.uid);
        if (!submitted) {
            refused(caller, known, "refused", submitted.error());
            done(std::unexpected(submitted.error()));
            return;
        }
        if (onSubmitted_)
            onSubmitted_(*submitted);
        done(*submitted);
    });
}

void RequestGate::authorizeRead(const CallerInfo& caller, const std::string& verb, const std::string& machine,
                                const std::string& backend, std::function<void(core::Result<void>)> done)
{
    AuthRequest auth{.action = "read", .verb = verb, .machine = machine, .backend = backend};
    authorize(caller, auth, [this, caller, verb, machine, backend, done](core::Result<void> allowed) {
        if (!allowed)
            refused(caller, {verb, machine, backend}, "denied", allowed.error());
        done(std::move(allowed));
    });
}

void RequestGate::cancel(const CallerInfo& caller, uint32_t jobId, std::function<void(core::Result<void>)> done)
{
    auto job = engine_.job(jobId);
    if (!job) {
        core::Error e{core::ErrorCode::NoSuchJob, "no job " + std::to_string(jobId)};
        refused(caller, {"cancel", "", ""}, "invalid", e, jobId);
        done(std::unexpected(e));
        return;
    }
    auto machine = engine_.machine(job->machine);
    Subject subject{"cancel", job->machine, machine ? machine->backend : std::string()};
    auto doCancel = [this, caller, subject, jobId, done] {
        auto r = engine_.cancel(jobId);
        if (!r) {
            refused(caller, subject, "refused", r.error(), jobId);
            done(std::unexpected(r.error()));
            return;
        }
        log::info({.uid = caller.uid, .machine = subject.machine, .job = jobId}, "cancel of job {} requested by {}",
                  jobId, caller.sender);
        done({});
    };
    if (caller.uid == 0 || caller.uid == job->startedByUid) {
        doCancel();
        return;
    }
    AuthRequest auth{.action = "cancel-other", .verb = "cancel", .machine = subject.machine, .backend = subject.backend};
    authorize(caller, auth, [this, caller, subject, jobId, done, doCancel](core::Result<void> allowed) {
        if (!allowed) {
            refused(caller, subject, "denied", allowed.error(), jobId);
            done(std::unexpected(allowed.error()));
            return;
        }
        doCancel();
    });
}

}  // namespace zenith::dbus
