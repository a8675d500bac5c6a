// start and stop of a guest: a task on the node the guest is on now. Stop
// without FORCE is a clean shutdown (ACPI for a VM, the container's init),
// turned into a hard stop after a minute so that a VM with no OS installed
// yet still stops; FORCE stops at once.
#include <fmt/format.h>

#include "drivers/proxmox/guest_driver.h"

namespace zenith::drivers::proxmox {

namespace {
constexpr const char* kShutdownTimeoutSec = "60";
}

core::Result<void> GuestDriver::start(const core::MachineRecord& m, JobContext& ctx)
{
    auto at = locate(m, ctx.stopToken());
    if (!at)
        return std::unexpected(at.error());
    if (at->guest.status == "running")
        return {};
    auto r = startGuest(*at->cluster, at->guest.node, m.vmid, ctx, 0.05, 0.98);
    clusters_->refreshSoon(at->cluster->name());
    return r;
}

core::Result<void> GuestDriver::stop(const core::MachineRecord& m, bool force, JobContext& ctx)
{
    auto at = locate(m, ctx.stopToken());
    if (!at)
        return std::unexpected(at.error());
    Cluster& c = *at->cluster;
    const ClusterGuest& g = at->guest;
    if (g.status == "stopped")
        return {};
    const std::string step = force ? "stop" : "shutdown";
    ctx.progress(0.05, step, fmt::format("{} {} {} on {}", force ? "stopping" : "shutting down", noun(), m.vmid,
                                         g.node));
    Params params;
    if (!force)
        params = {{"timeout", kShutdownTimeoutSec}, {"forceStop", "1"}};
    auto upid = c.api().post(guestPath(g.node, m.vmid) + "/status/" + step, params, ctx.stopToken());
    if (!upid)
        return std::unexpected(upid.error());
    auto t = followTask(c, *upid, ctx, step, 0.1, 0.98);
    clusters_->refreshSoon(c.name());
    if (!t)
        return std::unexpected(t.error());
    return {};
}

}  // namespace zenith::drivers::proxmox
