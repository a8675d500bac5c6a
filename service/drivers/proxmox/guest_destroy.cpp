// destroy: the guest and its disks (purge: also out of backup jobs and HA).
// A running guest is refused unless FORCE, which stops it hard first. Once
// the delete call is made there is no way back: not cancelable from there.
#include <fmt/format.h>

#include "drivers/proxmox/guest_driver.h"

namespace zenith::drivers::proxmox {

using core::ErrorCode;

core::Result<void> GuestDriver::destroy(const core::MachineRecord& m, bool force, JobContext& ctx)
{
    auto at = locate(m, ctx.stopToken());
    if (!at) {
        // Gone already (removed on the cluster by hand): nothing to do.
        if (at.error().code == ErrorCode::NoSuchMachine)
            return {};
        return std::unexpected(at.error());
    }
    Cluster& c = *at->cluster;
    const ClusterGuest* g = &at->guest;
    if (g->status == "running") {
        if (!force)
            return core::fail(ErrorCode::Busy,
                              fmt::format("{} {} ({}) is running on {}: stop it first, or destroy with FORCE", noun(),
                                          m.vmid, m.name, g->node));
        ctx.progress(0.05, "stop", fmt::format("stopping {} {}", noun(), m.vmid));
        auto upid = c.api().post(guestPath(g->node, m.vmid) + "/status/stop", {}, ctx.stopToken());
        if (!upid)
            return std::unexpected(upid.error());
        if (auto t = followTask(c, *upid, ctx, "stop", 0.05, 0.3); !t)
            return std::unexpected(t.error());
    }
    if (ctx.cancelRequested())
        return core::fail(ErrorCode::Cancelled, "destroy cancelled");
    ctx.setCancelable(false);
    ctx.progress(0.35, "destroy", fmt::format("destroying {} {} on {}", noun(), m.vmid, g->node));
    auto upid = c.api().del(guestPath(g->node, m.vmid), {{"purge", "1"}, {"destroy-unreferenced-disks", "1"}});
    if (!upid)
        return std::unexpected(upid.error());
    auto t = followTask(c, *upid, ctx, "destroy", 0.4, 0.98);
    clusters_->refreshSoon(c.name());
    if (!t)
        return std::unexpected(t.error());
    return {};
}

}  // namespace zenith::drivers::proxmox
