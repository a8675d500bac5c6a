// create: a container from a container template file (lxc_create.cpp) or a
// VM from an ISO (qemu_create.cpp). Both need the cluster's lists of files
// and storages: read now when the refresher has not succeeded yet.
#include "drivers/proxmox/guest_driver.h"

namespace zenith::drivers::proxmox {

core::Result<MachineFacts> GuestDriver::create(const NewMachine& m, const core::MachineSpec& spec, bool start,
                                               JobContext& ctx)
{
    // The guest's own number is its vmid; the engine's number stays the
    // engine's (the record keeps both).
    const std::string& name = m.name;
    auto c = clusterFor(spec);
    if (!c)
        return std::unexpected(c.error());
    if (!(*c)->view()->valid) {
        ctx.progress(0.01, "inventory", "reading the cluster's nodes, storages and images");
        if (auto r = (*c)->refresh(ctx.stopToken()); !r)
            return std::unexpected(r.error());
    }
    auto facts = type() == GuestType::Lxc ? createLxc(**c, name, spec, start, ctx) : createQemu(**c, name, spec, ctx);
    clusters_->refreshSoon((*c)->name());
    return facts;
}

core::Result<GuestDriver::Claimed> GuestDriver::createWithNewVmid(
    Cluster& c, const core::MachineSpec& spec, const std::string& node, const std::string& name, JobContext& ctx,
    const std::function<core::Result<nlohmann::json>(uint32_t)>& call)
{
    constexpr unsigned kAttempts = 5;
    const auto wanted = spec.backend.number("vmid");
    for (unsigned attempt = 1;; ++attempt) {
        std::lock_guard allocation(c.vmidAllocation());
        auto vmid = claimVmid(c, wanted, node, ctx);
        if (!vmid)
            return std::unexpected(vmid.error());
        auto reply = call(*vmid);
        if (reply)
            return Claimed{*vmid, std::move(*reply)};
        if (reply.error().message.find("may have been carried out") != std::string::npos) {
            // The answer was lost: the guest tells whether it was made.
            auto made = lostCallMadeIt(c, node, *vmid, name, ctx);
            if (!made)
                return std::unexpected(made.error());
            if (*made)
                return Claimed{*vmid, nlohmann::json()};  // made, its task already ended
            if (attempt < kAttempts)
                continue;
        }
        if (reply.error().code == core::ErrorCode::MachineExists && !wanted && attempt < kAttempts)
            continue;
        return std::unexpected(reply.error());
    }
}

}  // namespace zenith::drivers::proxmox
