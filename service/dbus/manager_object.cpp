#include "dbus/manager_object.h"

#include <fmt/format.h>

#include "core/log.h"
#include "core/names.h"
#include "core/text_quote.h"
#include "dbus/pending_reply.h"
#include "dbus/spec_variant.h"

namespace zenith::dbus {

namespace {

// What a request looks like in the debug log: caller text cut and escaped,
// key names only (values may be secrets: password, wireguard_config).
constexpr size_t kShownBytes = 80;
constexpr size_t kShownKeys = 16;

std::string shown(std::string_view text)
{
    return core::toSingleLine(text, kShownBytes);
}

std::string keysOf(const std::map<std::string, sdbus::Variant>& spec)
{
    std::string out;
    size_t n = 0;
    for (const auto& [k, v] : spec) {
        if (n++ == kShownKeys) {
            out += fmt::format(",+{} more", spec.size() - kShownKeys);
            break;
        }
        out += (out.empty() ? "" : ",") + core::toSingleLine(k, 32);
    }
    return out;
}

}  // namespace

ManagerObject::ManagerObject(sdbus::IConnection& connection, core::Engine& engine, RequestGate& gate)
    : AdaptorInterfaces(connection, std::string(core::kRootPath)),
      engine_(engine),
      gate_(gate)
{
    registerAdaptor();
}

ManagerObject::~ManagerObject()
{
    unregisterAdaptor();
}

void ManagerObject::CreateMachine(PathPair&& result, std::string name, std::string backend,
                                  std::map<std::string, sdbus::Variant> spec, uint64_t flags)
{
    auto reply = makeReply(std::move(result), "CreateMachine");
    auto caller = currentCaller(getObject());
    if (!caller)
        return reply->fail(caller.error());
    // Validated before anything is logged: what is written about a request
    // the gate refuses is bounded there.
    auto parsed = specFromVariants(spec, "spec", [this](std::string_view k) { return engine_.isSpecKey(k); });
    auto prepared = parsed ? engine_.prepareCreate(name, backend, *parsed, flags)
                           : core::Result<core::Request>(std::unexpected(parsed.error()));
    log::debug({.uid = caller->uid, .machine = shown(name)}, "CreateMachine backend={} flags={} keys=[{}] from {}",
               shown(backend), flags, keysOf(spec), caller->sender);
    gate_.submitChange(*caller, std::move(prepared), {"create", name, backend},
                       [reply](core::Result<core::Submitted> s) {
                           if (!s)
                               return reply->fail(s.error());
                           reply->ok(sdbus::ObjectPath(core::machineObjectPath(s->machine)),
                                     sdbus::ObjectPath(core::jobObjectPath(s->jobId)));
                       });
}

void ManagerObject::CloneMachine(PathPair&& result, std::string source, std::string new_name,
                                 std::map<std::string, sdbus::Variant> overrides, uint64_t flags)
{
    auto reply = makeReply(std::move(result), "CloneMachine");
    auto caller = currentCaller(getObject());
    if (!caller)
        return reply->fail(caller.error());
    auto parsed =
        specFromVariants(overrides, "overrides", [this](std::string_view k) { return engine_.isSpecKey(k); });
    auto prepared = parsed ? engine_.prepareClone(source, new_name, *parsed, flags)
                           : core::Result<core::Request>(std::unexpected(parsed.error()));
    log::debug({.uid = caller->uid, .machine = shown(new_name)}, "CloneMachine source={} flags={} keys=[{}] from {}",
               shown(source), flags, keysOf(overrides), caller->sender);
    auto src = engine_.machine(source);
    gate_.submitChange(*caller, std::move(prepared), {"clone", new_name, src ? src->backend : std::string()},
                       [reply](core::Result<core::Submitted> s) {
                           if (!s)
                               return reply->fail(s.error());
                           reply->ok(sdbus::ObjectPath(core::machineObjectPath(s->machine)),
                                     sdbus::ObjectPath(core::jobObjectPath(s->jobId)));
                       });
}

void ManagerObject::simpleChange(OnePath&& result, const char* method, std::string_view op, const std::string& name,
                                 uint64_t flags)
{
    subjectChange(std::move(result), method, op, name, flags, "",
                  [&] { return engine_.prepareSimple(op, name, flags); });
}

void ManagerObject::subjectChange(OnePath&& result, const char* method, std::string_view op, const std::string& name,
                                  uint64_t flags, std::string_view logged,
                                  const std::function<core::Result<core::Request>()>& prepare)
{
    auto reply = makeReply(std::move(result), method);
    auto caller = currentCaller(getObject());
    if (!caller)
        return reply->fail(caller.error());
    auto prepared = prepare();
    log::debug({.uid = caller->uid, .machine = shown(name)}, "{} flags={}{} from {}", method, flags, logged,
               caller->sender);
    auto m = engine_.machine(name);
    gate_.submitChange(*caller, std::move(prepared),
                       {std::string(op), name, m ? m->backend : std::string()},
                       [reply](core::Result<core::Submitted> s) {
                           if (!s)
                               return reply->fail(s.error());
                           reply->ok(sdbus::ObjectPath(core::jobObjectPath(s->jobId)));
                       });
}

void ManagerObject::DestroyMachine(OnePath&& result, std::string name, uint64_t flags)
{
    simpleChange(std::move(result), "DestroyMachine", "destroy", name, flags);
}

void ManagerObject::StartMachine(OnePath&& result, std::string name, uint64_t flags)
{
    simpleChange(std::move(result), "StartMachine", "start", name, flags);
}

void ManagerObject::StopMachine(OnePath&& result, std::string name, uint64_t flags)
{
    simpleChange(std::move(result), "StopMachine", "stop", name, flags);
}

void ManagerObject::MakeTemplate(OnePath&& result, std::string name, uint64_t flags)
{
    simpleChange(std::move(result), "MakeTemplate", "template", name, flags);
}

// Extension: a backup as a job. The options are the operation's to judge
// (storage, mode): any key passes the conversion, so an unknown one is named
// as an unknown backup option, not as an unknown spec key.
void ManagerObject::BackupMachine(OnePath&& result, std::string name, std::map<std::string, sdbus::Variant> options,
                                  uint64_t flags)
{
    subjectChange(std::move(result), "BackupMachine", "backup", name, flags,
                  fmt::format(" options=[{}]", keysOf(options)), [&]() -> core::Result<core::Request> {
                      auto parsed = specFromVariants(options, "options", [](std::string_view) { return true; });
                      if (!parsed)
                          return std::unexpected(parsed.error());
                      return engine_.prepare("backup",
                                             core::OperationInput{.machine = name, .spec = *parsed, .flags = flags});
                  });
}

void ManagerObject::GetMachine(OnePath&& result, std::string name)
{
    auto reply = makeReply(std::move(result), "GetMachine");
    auto caller = currentCaller(getObject());
    if (!caller)
        return reply->fail(caller.error());
    if (auto valid = core::validateMachineName(name); !valid)
        return reply->fail(valid.error());
    log::debug({.uid = caller->uid, .machine = name}, "GetMachine from {}", caller->sender);
    gate_.authorizeRead(*caller, "get", name, "", [this, reply, name](core::Result<void> allowed) {
        if (!allowed)
            return reply->fail(allowed.error());
        if (!engine_.machine(name))
            return reply->fail({core::ErrorCode::NoSuchMachine, fmt::format("no machine '{}'", name)});
        reply->ok(sdbus::ObjectPath(core::machineObjectPath(name)));
    });
}

void ManagerObject::ListMachines(
    sdbus::Result<std::vector<sdbus::Struct<std::string, std::string, std::string, std::string, sdbus::ObjectPath>>>&&
        result)
{
    auto reply = makeReply(std::move(result), "ListMachines");
    auto caller = currentCaller(getObject());
    if (!caller)
        return reply->fail(caller.error());
    log::debug({.uid = caller->uid}, "ListMachines from {}", caller->sender);
    gate_.authorizeRead(*caller, "list", "", "", [this, reply](core::Result<void> allowed) {
        if (!allowed)
            return reply->fail(allowed.error());
        std::vector<sdbus::Struct<std::string, std::string, std::string, std::string, sdbus::ObjectPath>> out;
        for (const auto& m : engine_.machines())
            out.emplace_back(m.name, m.backend, std::string(core::toString(m.state)), m.primaryAddress(),
                             sdbus::ObjectPath(core::machineObjectPath(m.name)));
        reply->ok(out);
    });
}

void ManagerObject::ListJobs(
    sdbus::Result<std::vector<sdbus::Struct<uint32_t, std::string, std::string, std::string, double, sdbus::ObjectPath>>>&&
        result)
{
    auto reply = makeReply(std::move(result), "ListJobs");
    auto caller = currentCaller(getObject());
    if (!caller)
        return reply->fail(caller.error());
    log::debug({.uid = caller->uid}, "ListJobs from {}", caller->sender);
    gate_.authorizeRead(*caller, "list-jobs", "", "", [this, reply](core::Result<void> allowed) {
        if (!allowed)
            return reply->fail(allowed.error());
        std::vector<sdbus::Struct<uint32_t, std::string, std::string, std::string, double, sdbus::ObjectPath>> out;
        // The engine's table: running jobs and the newest finished ones, also
        // from before a restart (job history survives it). A finished job's
        // object leaves the bus 30 s after it ended; its row stays here.
        for (const auto& j : engine_.jobs()) {
            out.emplace_back(j.id, j.operation, j.machine,
                             std::string(core::toString(j.state)), j.progress,
                             sdbus::ObjectPath(core::jobObjectPath(j.id)));
        }
        reply->ok(out);
    });
}

void ManagerObject::ListImages(
    sdbus::Result<std::vector<sdbus::Struct<std::string, std::string, std::string, uint64_t>>>&& result,
    std::string backend)
{
    auto reply = makeReply(std::move(result), "ListImages");
    auto caller = currentCaller(getObject());
    if (!caller)
        return reply->fail(caller.error());
    log::debug({.uid = caller->uid}, "ListImages backend={} from {}", shown(backend), caller->sender);
    gate_.authorizeRead(*caller, "list-images", "", backend, [this, reply, backend](core::Result<void> allowed) {
        if (!allowed)
            return reply->fail(allowed.error());
        auto images = engine_.images(backend);
        if (!images)
            return reply->fail(images.error());
        std::vector<sdbus::Struct<std::string, std::string, std::string, uint64_t>> out;
        // Ids and locations are file names read from disk: made safe for the
        // bus like any text the daemon did not write itself.
        for (const auto& i : *images)
            out.emplace_back(core::toValidUtf8(i.id, 255), i.kind, core::toValidUtf8(i.location), i.size);
        reply->ok(out);
    });
}

void ManagerObject::CancelJob(sdbus::Result<>&& result, uint32_t id)
{
    auto reply = makeReply(std::move(result), "CancelJob");
    auto caller = currentCaller(getObject());
    if (!caller)
        return reply->fail(caller.error());
    log::debug({.uid = caller->uid, .job = id}, "CancelJob from {}", caller->sender);
    gate_.cancel(*caller, id, [reply](core::Result<void> r) {
        if (!r)
            return reply->fail(r.error());
        reply->ok();
    });
}

}  // namespace zenith::dbus
