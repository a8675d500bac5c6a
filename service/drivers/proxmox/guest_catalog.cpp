// What the cluster views say about nodes, storages and one guest's health:
// read from the last refresh, never from the network (the bus loop asks).
#include <fmt/format.h>

#include "drivers/proxmox/guest_driver.h"

namespace zenith::drivers::proxmox {

std::vector<NodeInfo> GuestDriver::nodes()
{
    std::vector<NodeInfo> out;
    for (const auto& c : clusters_->all())
        for (const auto& n : c->view()->resources.nodes)
            out.push_back({c->name(), n.node, n.status, n.maxcpu, n.maxmem, n.mem, n.uptime});
    return out;
}

std::vector<StorageSummary> GuestDriver::storages()
{
    std::vector<StorageSummary> out;
    for (const auto& c : clusters_->all())
        for (const auto& s : c->view()->resources.storages)
            out.push_back({c->name(), s.node, s.storage, s.type, s.content, s.shared, s.active, s.total, s.avail});
    return out;
}

core::Result<MachineHealth> GuestDriver::health(const core::MachineRecord& m)
{
    auto c = clusterOf(m);
    if (!c)
        return std::unexpected(c.error());
    auto view = (*c)->view();
    const ClusterGuest* g = findGuest(view->resources.guests, m.vmid);
    if (!g || g->type != typePath())
        return core::fail(core::ErrorCode::NoSuchMachine,
                          fmt::format("{} {} of machine {} is not in the last listing of cluster {}", noun(), m.vmid,
                                      m.name, (*c)->name()));
    MachineHealth h;
    h.status = g->isTemplate ? "template" : g->status;
    h.uptime = g->uptime;
    h.cpu = g->cpu;
    h.cpus = g->cpus;
    h.memory = g->mem;
    h.memoryMax = g->maxmem;
    h.lock = g->lock;
    h.asOf = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(view->refreshed.time_since_epoch()).count());
    return h;
}

}  // namespace zenith::drivers::proxmox
