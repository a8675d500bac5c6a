// clone: a new guest from a golden template (a CloudPod from container
// 9000, a VM from a VM template), with its own vmid, name, address and
// resources, then started. Runs as: find where the source is now, claim a
// vmid, the clone task, the new guest's settings, its start. Anything that
// fails after the clone call removes the new guest again.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/inet.h"
#include "core/log.h"
#include "drivers/proxmox/guest_driver.h"

namespace zenith::drivers::proxmox {

using core::ErrorCode;
using core::Result;

namespace {

constexpr unsigned kVmidAttempts = 5;
// Another client's clone of the same template holds its `disk` lock for
// the length of that clone: wait for it, bounded.
constexpr unsigned kLockedSourceAttempts = 30;
constexpr std::chrono::seconds kLockedSourceWait{2};

bool says(const core::Error& e, std::string_view text) { return e.message.find(text) != std::string::npos; }

}  // namespace

Result<MachineFacts> GuestDriver::clone(const core::MachineRecord& source, const NewMachine& target,
                                        const core::MachineSpec& merged, bool start, JobContext& ctx)
{
    const std::string& newName = target.name;
    auto cluster = clusterOf(source);
    if (!cluster)
        return std::unexpected(cluster.error());
    Cluster& c = **cluster;
    const auto stop = ctx.stopToken();
    const bool lxc = type() == GuestType::Lxc;

    ctx.progress(0.01, "locate", fmt::format("looking up {} {} on cluster {}", noun(), source.vmid, c.name()));
    auto src = locateGuest(c, source, stop);
    if (!src)
        return std::unexpected(src.error());
    // The clone is made on the source's node unless the spec names another
    // (`target`: the server checks that the storage is shared).
    const std::string node = merged.backend.text("node").value_or(src->node);
    const std::optional<uint32_t> wantedVmid = merged.backend.number("vmid");

    Params params;
    params.emplace_back(lxc ? "hostname" : "name", newName);
    if (auto full = merged.backend.flag("full_clone")) {
        params.emplace_back("full", *full ? "1" : "0");
        if (*full)
            if (auto storage = merged.backend.text("storage"))
                params.emplace_back("storage", *storage);
    }
    if (node != src->node)
        params.emplace_back("target", node);

    uint32_t vmid = 0;
    unsigned lockedWaits = 0;
    for (unsigned attempt = 1;; ++attempt) {
        core::Result<nlohmann::json> reply;
        {
            // nextid does not reserve: the id is ours once the clone call
            // has registered it, so both happen under one lock (and only
            // those: no wait below holds it).
            std::lock_guard allocation(c.vmidAllocation());
            auto claimed = claimVmid(c, wantedVmid, node, ctx);
            if (!claimed)
                return std::unexpected(claimed.error());
            vmid = *claimed;
            Params call = params;
            call.emplace(call.begin(), "newid", std::to_string(vmid));
            ctx.progress(0.03, "clone",
                         fmt::format("cloning {} {} ({}) into {} {} on {}", noun(), source.vmid, source.name, noun(),
                                     vmid, node));
            reply = c.api().post(guestPath(src->node, source.vmid) + "/clone", call, stop);
        }
        if (!reply) {
            const core::Error& e = reply.error();
            if (says(e, "may have been carried out")) {
                // The answer was lost: the guest tells whether it was made.
                auto made = lostCallMadeIt(c, node, vmid, newName, ctx);
                if (!made)
                    return std::unexpected(made.error());
                if (*made)
                    break;
                if (attempt < kVmidAttempts)
                    continue;
                return std::unexpected(e);
            }
            if (e.code == ErrorCode::MachineExists && !wantedVmid && attempt < kVmidAttempts)
                continue;  // someone else took the id first: the next one
            if (e.code == ErrorCode::MachineExists)
                return core::fail(ErrorCode::MachineExists,
                                  fmt::format("vmid {} is taken on cluster {}: {}", vmid, c.name(), e.message));
            if (e.code == ErrorCode::Busy && says(e, "is locked") && ++lockedWaits < kLockedSourceAttempts) {
                ctx.progress(0.03, "clone",
                             fmt::format("{} {} is locked by another task; waiting", noun(), source.vmid));
                if (!sleep_(kLockedSourceWait, stop))
                    return core::fail(ErrorCode::Cancelled, "clone cancelled");
                --attempt;
                continue;
            }
            if (says(e, "inked clone") || says(e, "not allowed for linked clones"))
                return core::fail(ErrorCode::InvalidArgs,
                                  fmt::format("{} {} cannot be cloned linked here ({}); set full_clone=true (and "
                                              "storage) for a full copy",
                                              noun(), source.vmid, e.message));
            return std::unexpected(e);
        }
        auto task = followTask(c, *reply, ctx, "clone", 0.05, 0.7);
        if (task)
            break;
        const core::Error& e = task.error();
        // A VM clone whose id another node took meanwhile fails in its task
        // ("... atomic file ... File exists"): nothing was made, try the next.
        if (!wantedVmid && e.code != ErrorCode::Cancelled && says(e, "File exists") && attempt < kVmidAttempts)
            continue;
        removeMadeGuest(c, node, vmid, newName);
        return std::unexpected(e);
    }

    auto undo = [&](core::Error e) -> Result<MachineFacts> {
        ctx.progress(0.99, "rollback", fmt::format("removing {} {} again", noun(), vmid));
        removeMadeGuest(c, node, vmid, newName);
        return std::unexpected(std::move(e));
    };
    if (ctx.cancelRequested())
        return undo({ErrorCode::Cancelled, "clone cancelled"});

    Params settings;
    if (lxc) {
        auto s = lxcSettings(c, merged);
        if (!s)
            return undo(s.error());
        settings = std::move(*s);
    } else {
        if (merged.cores)
            settings.emplace_back("cores", std::to_string(*merged.cores));
        if (merged.memoryMax)
            settings.emplace_back("memory", std::to_string(*merged.memoryMax >> 20));
        if (merged.bridge)
            settings.emplace_back("net0", "virtio,bridge=" + *merged.bridge);
    }
    if (!settings.empty()) {
        ctx.progress(0.72, "configure", fmt::format("setting the network and resources of {} {}", noun(), vmid));
        if (auto r = c.api().put(guestPath(node, vmid) + "/config", settings, stop); !r)
            return undo(r.error());
    }
    if (start) {
        if (auto r = startGuest(c, node, vmid, ctx, 0.75, 0.98); !r)
            return undo(r.error());
    }

    clusters_->refreshSoon(c.name());
    return madeFacts(c, node, vmid, merged);
}

}  // namespace zenith::drivers::proxmox
