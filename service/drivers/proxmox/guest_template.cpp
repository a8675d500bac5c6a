// MakeTemplate: the guest becomes a template (read-only base of clones).
// LXC answers the call with no task id and converts in a hidden worker, old
// qemu-server too: the conversion is done when the config says `template: 1`.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "drivers/proxmox/client/task_status.h"
#include "drivers/proxmox/guest_driver.h"

namespace zenith::drivers::proxmox {

using core::ErrorCode;

core::Result<void> GuestDriver::makeTemplate(const core::MachineRecord& m, JobContext& ctx)
{
    const auto stop = ctx.stopToken();
    auto at = locate(m, stop);
    if (!at)
        return std::unexpected(at.error());
    Cluster* c = at->cluster;
    const ClusterGuest* g = &at->guest;
    if (g->isTemplate)
        return {};
    if (g->status == "running")
        return core::fail(ErrorCode::Busy, fmt::format("{} {} ({}) is running: stop it before making it a template",
                                                       noun(), m.vmid, m.name));
    ctx.progress(0.05, "template", fmt::format("converting {} {} into a template", noun(), m.vmid));
    const std::string path = guestPath(g->node, m.vmid);
    auto reply = c->api().post(path + "/template", {}, stop);
    if (!reply)
        return std::unexpected(reply.error());
    if (reply->is_string())
        if (auto t = followTask(*c, *reply, ctx, "template", 0.1, 0.8); !t)
            return std::unexpected(t.error());
    const auto deadline = std::chrono::steady_clock::now() + c->options().taskTimeout;
    for (unsigned poll = 0;; ++poll) {
        auto config = c->api().get(path + "/config", {}, stop);
        if (!config)
            return std::unexpected(config.error());
        if (config->is_object() && config->contains("template")) {
            const auto& t = (*config)["template"];
            if ((t.is_number() && t.get<double>() == 1) || (t.is_string() && t.get<std::string>() == "1") ||
                (t.is_boolean() && t.get<bool>())) {
                ctx.progress(0.98, "template", fmt::format("{} {} is a template", noun(), m.vmid));
                clusters_->refreshSoon(c->name());
                return {};
            }
        }
        if (std::chrono::steady_clock::now() > deadline)
            return core::fail(ErrorCode::BackendFailed,
                              fmt::format("{} {} did not become a template within {} s", noun(), m.vmid,
                                          c->options().taskTimeout.count()));
        if (!sleep_(taskPollDelay(poll), stop))
            return core::fail(ErrorCode::Cancelled, "template cancelled");
    }
}

}  // namespace zenith::drivers::proxmox
