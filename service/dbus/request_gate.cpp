#include "dbus/request_gate.h"

#include "core/job.h"
#include "core/log.h"
#include "core/registry.h"

namespace zenith::dbus {

RequestGate::RequestGate(core::Engine& engine, Authorizer& authorizer,
                         std::function<void(const core::Submitted&)> onSubmitted)
    : engine_(engine), authorizer_(authorizer), onSubmitted_(std::move(onSubmitted))
{
}

void RequestGate::refused(const CallerInfo& caller, const Subject& subject, std::string_view outcome,
                          const core::Error& error, uint32_t job)
{
    log::info({.uid = caller.uid, .machine = subject.machine, .job = job ? std::optional<uint32_t>(job) : std::nullopt},
              "{} {} refused ({}): {}: {}", subject.verb, subject.machine, outcome, core::errorCodeName(error.code),
              error.message);
    core::AuditEntry entry;
    entry.uid = caller.uid;
    entry.verb = subject.verb;
    entry.machine = subject.machine;
    entry.backend = subject.backend;
    entry.job = job;
    entry.outcome = std::string(outcome);
    entry.detail = std::string(core::errorCodeName(error.code)) + ": " + error.message;
    engine_.audit(std::move(entry));
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
    Subject known{std::string(core::toString(req.operation)), req.machine, req.backend};
    AuthRequest auth{std::string(req.actionVerb()), known.verb, req.machine, req.backend, req.templateName, req.node};
    // Request is copied into the callback: the spec may hold a password,
    // which lives only as a core::Secret and never reaches a log line here.
    authorizer_.check(caller, auth, [this, caller, known, req = *prepared, done](core::Result<void> allowed) {
        if (!allowed) {
            refused(caller, known, "denied", allowed.error());
            done(std::unexpected(allowed.error()));
            return;
        }
        log::info({.uid = caller.uid, .machine = req.machine}, "{} {} authorized", known.verb, req.machine);
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
    AuthRequest auth{"read", verb, machine, backend, {}, {}};
    authorizer_.check(caller, auth, [this, caller, verb, machine, backend, done](core::Result<void> allowed) {
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
        log::info({.uid = caller.uid, .machine = subject.machine, .job = jobId}, "cancel of job {} requested", jobId);
        done({});
    };
    if (caller.uid == 0 || caller.uid == job->startedByUid) {
        doCancel();
        return;
    }
    AuthRequest auth{"cancel-other", "cancel", subject.machine, subject.backend, {}, {}};
    authorizer_.check(caller, auth, [this, caller, subject, jobId, done, doCancel](core::Result<void> allowed) {
        if (!allowed) {
            refused(caller, subject, "denied", allowed.error(), jobId);
            done(std::unexpected(allowed.error()));
            return;
        }
        doCancel();
    });
}

}  // namespace zenith::dbus
