// backup: a copy of the machine on a backup storage (Proxmox vzdump), in
// snapshot mode unless the caller asks otherwise; the machine keeps running.
// Options: storage (default: the backend's), mode (snapshot|suspend|stop).
#include <fmt/format.h>

#include "core/ops/operation_table.h"
#include "core/ops/subject_operation.h"
#include "core/spec_key.h"
#include "core/text_quote.h"

namespace zenith::core::ops {

namespace {

class BackupOperation final : public SubjectOperation {
public:
    std::string_view name() const override { return "backup"; }
    std::string_view action() const override { return "backup"; }
    OperationEffect effect() const override { return OperationEffect::Changes; }

    Result<Request> prepare(const OperationInput& in, const OperationEnv& env) const override
    {
        auto req = SubjectOperation::prepare(in, env);
        if (!req)
            return req;
        drivers::Driver* d = env.driver(req->backend);
        if (!d || !d->backupCapability())
            return drivers::notOnThisBackend(req->backend, "backup is");
        for (const auto& [key, value] : in.spec) {
            const auto* text = std::get_if<std::string>(&value.value);
            if (key != "storage" && key != "mode")
                return fail(ErrorCode::InvalidArgs,
                            fmt::format("unknown backup option {} (known: storage, mode)", quoteForMessage(key)));
            if (!text)
                return fail(ErrorCode::InvalidArgs, fmt::format("backup option '{}' must be a string (s)", key));
            if (key == "storage") {
                if (auto r = speccheck::tokenText("storage", *text); !r)
                    return std::unexpected(r.error());
            } else if (*text != "snapshot" && *text != "suspend" && *text != "stop") {
                return fail(ErrorCode::InvalidArgs, fmt::format("backup option 'mode' = {} is not one of "
                                                                "snapshot|suspend|stop",
                                                                quoteForMessage(*text)));
            }
            req->options[key] = *text;
        }
        return req;
    }

    std::string plan(const Request& req, const drivers::Driver&) const override
    {
        auto option = [&](const char* key, const char* fallback) {
            auto it = req.options.find(key);
            return it == req.options.end() ? std::string(fallback) : it->second;
        };
        return fmt::format("would back up machine '{}' ({}) to storage {} in {} mode", req.machine, req.backend,
                           option("storage", "(the backend's default)"), option("mode", "snapshot"));
    }

    Result<void> run(OperationRun& run) const override
    {
        auto subject = SubjectOperation::subject(run);
        if (!subject)
            return std::unexpected(subject.error());
        drivers::BackupCapability* b = run.driver().backupCapability();
        if (!b)
            return drivers::notOnThisBackend(subject->backend, "backup is");
        drivers::BackupOptions o;
        const auto& opts = run.request().options;
        if (auto it = opts.find("storage"); it != opts.end())
            o.storage = it->second;
        if (auto it = opts.find("mode"); it != opts.end())
            o.mode = it->second;
        auto volid = b->backup(*subject, o, run.job());
        if (!volid)
            return std::unexpected(volid.error());
        return {};
    }
};

}  // namespace

const Operation& backupOperation()
{
    static const BackupOperation op;
    return op;
}

}  // namespace zenith::core::ops
