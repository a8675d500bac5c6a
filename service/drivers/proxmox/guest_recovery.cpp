// After a daemon restart: a machine's true state from the cluster, and the
// remains of a create or clone that died with the daemon removed, found by
// the vmid and node the job checkpointed.
#include <fmt/format.h>

#include "core/log.h"
#include "drivers/proxmox/guest_driver.h"

namespace zenith::drivers::proxmox {

core::MachineState GuestDriver::probe(const core::MachineRecord& m)
{
    auto c = clusterOf(m);
    if (!c || m.vmid == 0)
        return core::MachineState::Failed;
    auto g = (*c)->locate(m.vmid);
    if (!g) {
        // The cluster did not answer: what was recorded stands.
        log::warning({.machine = m.name}, "cannot check {} {}: {}", noun(), m.vmid, g.error().message);
        return m.state;
    }
    if (!*g || (*g)->type != typePath())
        return core::MachineState::Failed;
    return guestState(**g).value_or(m.state);
}

void GuestDriver::rollbackPartial(const core::MachineRecord& m)
{
    // A half-made machine's record has no location yet: the job
    // checkpointed its cluster.
    std::string cluster = m.location;
    if (auto it = m.checkpoints.find("cluster"); it != m.checkpoints.end())
        cluster = it->second;
    auto c = clusters_->pick(cluster);
    if (!c)
        return;
    uint32_t vmid = m.vmid;
    if (auto it = m.checkpoints.find("vmid"); it != m.checkpoints.end())
        vmid = static_cast<uint32_t>(std::strtoul(it->second.c_str(), nullptr, 10));
    if (vmid == 0)
        return;  // it died before it claimed a vmid: nothing was made
    std::string node = m.node;
    if (auto it = m.checkpoints.find("node"); it != m.checkpoints.end())
        node = it->second;
    if (auto g = (*c)->locate(vmid); g && *g)
        node = (*g)->node;  // moved, or made elsewhere than planned
    else if (g && !*g)
        return;  // never made, or gone already
    if (node.empty())
        return;
    if (auto it = m.checkpoints.find("upid"); it != m.checkpoints.end())
        awaitTask(**c, it->second);
    removeMadeGuest(**c, node, vmid, m.name);
}

}  // namespace zenith::drivers::proxmox
