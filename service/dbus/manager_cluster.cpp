// Manager methods of what a remote backend knows besides its machines (an
// extension of the contract): ListNodes, ListStorages, GetHealth,
// ListBackups. Reads: the `read` action, with verbs of their own. The engine
// answers from the drivers' caches, so every one answers on the loop.
//
// Every string here came from the cluster (node and storage names, a
// backup's notes, a task's lock): made valid UTF-8 before it reaches the bus,
// like ListImages' file names, whatever the driver did already.
#include "dbus/manager_object.h"

#include <functional>
#include <optional>
#include <type_traits>

#include "core/log.h"
#include "core/names.h"
#include "core/text_quote.h"
#include "dbus/pending_reply.h"

namespace zenith::dbus {

namespace {

// A caller's argument in the debug log: cut and escaped.
constexpr size_t kShownBytes = 80;
// A name the cluster gave (node, storage, volid, type, lock).
constexpr size_t kClusterNameBytes = 255;

std::string clusterName(std::string_view text)
{
    return core::toValidUtf8(text, kClusterNameBytes);
}

// What one read is about: a backend (ListNodes, ListStorages), or a machine
// (GetHealth, ListBackups: its name is checked like GetMachine's and its
// backend is the polkit detail).
struct ReadSubject {
    std::string verb;
    std::string backend;
    std::optional<std::string> machine;
};

// The flow every read here shares: caller, validation, debug log, the `read`
// action with the verb, then `answer` on the loop once polkit said yes.
template <typename... R>
void authorizedRead(const sdbus::IObject& object, RequestGate& gate, sdbus::Result<R...>&& result,
                    const char* method, ReadSubject subject,
                    std::type_identity_t<std::function<void(PendingReply<R...>&)>> answer)
{
    auto reply = makeReply(std::move(result), method);
    auto caller = currentCaller(object);
    if (!caller)
        return reply->fail(caller.error());
    if (subject.machine)
        if (auto valid = core::validateMachineName(*subject.machine); !valid)
            return reply->fail(valid.error());
    const std::string machine = subject.machine.value_or("");
    log::debug({.uid = caller->uid, .machine = machine}, "{} backend={} from {}", method,
               core::toSingleLine(subject.backend, kShownBytes), caller->sender);
    gate.authorizeRead(*caller, subject.verb, machine, subject.backend,
                       [reply, answer = std::move(answer)](core::Result<void> allowed) {
                           if (!allowed)
                               return reply->fail(allowed.error());
                           answer(*reply);
                       });
}

}  // namespace

void ManagerObject::ListNodes(sdbus::Result<std::vector<NodeRow>>&& result, std::string backend)
{
    authorizedRead<std::vector<NodeRow>>(
        getObject(), gate_, std::move(result), "ListNodes", {"list-nodes", backend, std::nullopt},
        [this, backend](PendingReply<std::vector<NodeRow>>& reply) {
            auto nodes = engine_.nodes(backend);
            if (!nodes)
                return reply.fail(nodes.error());
            std::vector<NodeRow> out;
            for (const auto& n : *nodes)
                out.emplace_back(clusterName(n.location), clusterName(n.node), clusterName(n.status), n.cpus,
                                 n.memoryTotal, n.memoryUsed, n.uptime);
            reply.ok(out);
        });
}

void ManagerObject::ListStorages(sdbus::Result<std::vector<StorageRow>>&& result, std::string backend)
{
    authorizedRead<std::vector<StorageRow>>(
        getObject(), gate_, std::move(result), "ListStorages", {"list-storages", backend, std::nullopt},
        [this, backend](PendingReply<std::vector<StorageRow>>& reply) {
            auto storages = engine_.storages(backend);
            if (!storages)
                return reply.fail(storages.error());
            std::vector<StorageRow> out;
            for (const auto& s : *storages) {
                std::vector<std::string> content;
                for (const auto& c : s.content)
                    content.push_back(clusterName(c));
                out.emplace_back(clusterName(s.location), clusterName(s.node), clusterName(s.storage),
                                 clusterName(s.type), std::move(content), s.shared, s.active, s.total, s.avail);
            }
            reply.ok(out);
        });
}

void ManagerObject::GetHealth(sdbus::Result<std::map<std::string, sdbus::Variant>>&& result, std::string name)
{
    auto m = engine_.machine(name);
    authorizedRead<std::map<std::string, sdbus::Variant>>(
        getObject(), gate_, std::move(result), "GetHealth", {"health", m ? m->backend : std::string(), name},
        [this, name](PendingReply<std::map<std::string, sdbus::Variant>>& reply) {
            auto h = engine_.health(name);
            if (!h)
                return reply.fail(h.error());
            reply.ok(std::map<std::string, sdbus::Variant>{
                {"status", sdbus::Variant(clusterName(h->status))},
                {"uptime", sdbus::Variant(h->uptime)},
                {"cpu", sdbus::Variant(h->cpu)},
                {"cpus", sdbus::Variant(h->cpus)},
                {"memory", sdbus::Variant(h->memory)},
                {"memory_max", sdbus::Variant(h->memoryMax)},
                {"lock", sdbus::Variant(clusterName(h->lock))},
                {"as_of", sdbus::Variant(h->asOf)},
            });
        });
}

void ManagerObject::ListBackups(sdbus::Result<std::vector<BackupRow>>&& result, std::string name)
{
    auto m = engine_.machine(name);
    authorizedRead<std::vector<BackupRow>>(
        getObject(), gate_, std::move(result), "ListBackups", {"list-backups", m ? m->backend : std::string(), name},
        [this, name](PendingReply<std::vector<BackupRow>>& reply) {
            auto backups = engine_.backups(name);
            if (!backups)
                return reply.fail(backups.error());
            std::vector<BackupRow> out;
            // Notes are free text an admin may have edited on the cluster:
            // several lines are kept, at most a message's length.
            for (const auto& b : *backups)
                out.emplace_back(clusterName(b.volid), clusterName(b.location), clusterName(b.node),
                                 clusterName(b.storage), b.size, b.ctime, core::toValidUtf8(b.notes));
            reply.ok(out);
        });
}

}  // namespace zenith::dbus
