// Backups with vzdump: one guest to a backup storage, snapshot mode unless
// asked otherwise (the guest keeps running), zstd-compressed, its notes
// naming the machine and the uid that made it so an admin browsing the
// storage knows whose it is.
#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "drivers/proxmox/guest_driver.h"

namespace zenith::drivers::proxmox {

using core::ErrorCode;

namespace {

// The configured backup storage, else the one with most room that takes
// backups and is reachable from `node` (shared storages first: a backup
// there outlives the node).
core::Result<std::string> backupStorage(const ClusterView& view, const ClusterOptions& opts, const std::string& node,
                                        const std::string& wanted)
{
    const std::string name = wanted.empty() ? opts.backupStorage : wanted;
    const StorageInfo* best = nullptr;
    for (const auto& s : view.resources.storages) {
        if (s.node != node || !s.holds("backup") || !s.active)
            continue;
        if (!name.empty()) {
            if (s.storage == name)
                return s.storage;
            continue;
        }
        if (!best || std::pair(s.shared, s.avail) > std::pair(best->shared, best->avail))
            best = &s;
    }
    if (!name.empty())
        return core::fail(ErrorCode::InvalidArgs,
                          fmt::format("storage {} does not take backups on node {} (or is not active)", name, node));
    if (!best)
        return core::fail(ErrorCode::InvalidArgs, fmt::format("node {} has no active storage for backups", node));
    return best->storage;
}

}  // namespace

core::Result<std::string> GuestDriver::backup(const core::MachineRecord& m, const BackupOptions& options,
                                              JobContext& ctx)
{
    const auto stop = ctx.stopToken();
    auto at = locate(m, stop);
    if (!at)
        return std::unexpected(at.error());
    Cluster& c = *at->cluster;
    const std::string& node = at->guest.node;
    if (!c.view()->valid)
        if (auto r = c.refresh(stop); !r)
            return std::unexpected(r.error());
    auto storage = backupStorage(*c.view(), c.options(), node, options.storage);
    if (!storage)
        return std::unexpected(storage.error());
    const std::string mode = options.mode.empty() ? "snapshot" : options.mode;
    ctx.progress(0.02, "backup", fmt::format("backing up {} {} to {} ({} mode)", noun(), m.vmid, *storage, mode));
    Params params{{"vmid", std::to_string(m.vmid)},
                  {"storage", *storage},
                  {"mode", mode},
                  {"compress", "zstd"},
                  {"notes-template", fmt::format("zenith: {} (uid {})", m.name, m.createdByUid)}};
    auto reply = c.api().post(fmt::format("/nodes/{}/vzdump", percentEncode(node)), params, stop);
    if (!reply)
        return std::unexpected(reply.error());
    // "OK" instead of a task: the guest was not on that node after all.
    if (!reply->is_string() || !reply->get<std::string>().starts_with("UPID:"))
        return core::fail(ErrorCode::BackendFailed,
                          fmt::format("vzdump on {} found no {} {} to back up (did it move?)", node, noun(), m.vmid));
    if (auto t = followTask(c, *reply, ctx, "backup", 0.05, 0.95); !t)
        return std::unexpected(t.error());

    // The new backup is the newest of this guest on that storage.
    if (auto r = c.refresh(stop); !r)
        return std::string();
    std::string volid;
    uint64_t newest = 0;
    for (const auto& b : c.view()->backups)
        if (b.vmid == m.vmid && b.storage == *storage && b.ctime >= newest) {
            newest = b.ctime;
            volid = b.volid;
        }
    ctx.progress(0.98, "backup", volid.empty() ? std::string("backup done")
                                               : fmt::format("backup done: {}", volid));
    return volid;
}

core::Result<std::vector<BackupInfo>> GuestDriver::backups(const core::MachineRecord& m)
{
    auto c = clusterOf(m);
    if (!c)
        return std::unexpected(c.error());
    // A shared storage's files are listed once per node that has it: one
    // row per backup, under the guest's node where that node has it.
    std::map<std::string, BackupInfo> byVolid;
    for (const auto& b : (*c)->view()->backups) {
        if (b.vmid != m.vmid || m.vmid == 0)
            continue;
        auto [it, added] = byVolid.try_emplace(b.volid, BackupInfo{b.volid, (*c)->name(), b.node, b.storage, b.size,
                                                                   b.ctime, b.notes});
        if (!added && b.node == m.node)
            it->second.node = b.node;
    }
    std::vector<BackupInfo> out;
    for (auto& [volid, b] : byVolid)
        out.push_back(std::move(b));
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.ctime > b.ctime; });
    return out;
}

}  // namespace zenith::drivers::proxmox
