// create for proxmox-qemu, the VM builder: a VM on the node that holds the
// ISO, its disks on an images storage with room, Windows with the VirtIO
// driver ISO as a second CD (when the cluster has one) and UEFI; left
// stopped for installation from the console, or made a template at once
// (make_template).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "drivers/proxmox/guest_driver.h"
#include "drivers/proxmox/guest_images.h"
#include "drivers/proxmox/spec_keys.h"

namespace zenith::drivers::proxmox {

using core::ErrorCode;
using core::Result;

namespace {

std::vector<IsoVolume> isoVolumes(const std::vector<StorageVolume>& volumes)
{
    std::vector<IsoVolume> out;
    for (const auto& v : volumes)
        out.push_back({v.node, v.storage, v.volid, v.size});
    return out;
}

}  // namespace

Result<MachineFacts> GuestDriver::createQemu(Cluster& c, const std::string& name, const core::MachineSpec& spec,
                                             JobContext& ctx)
{
    auto view = c.view();
    auto iso = findVolume("iso", spec.backend.text("iso").value_or(""), view->isos, spec.backend.text("node"));
    if (!iso)
        return std::unexpected(iso.error());
    const std::string node = iso->node;
    const std::string osType = proxmoxOsType(spec.backend.text("os_type").value_or("l26")).value_or("l26");

    QemuBuild build;
    build.name = name;
    build.isoVolid = iso->volid;
    build.bridge = spec.bridge.value_or(c.options().bridge);
    std::string note;
    if (isWindowsOsType(osType)) {
        auto virtio = findVirtioIso(spec.backend.text("virtio_iso"), node, isoVolumes(view->isos));
        if (!virtio)
            return std::unexpected(virtio.error());
        if (*virtio)
            build.virtioVolid = (*virtio)->volid;
        else
            note = fmt::format("no VirtIO driver ISO (virtio-win*.iso) is on node {}: the VM has none; upload one "
                               "and attach it to install the VirtIO disk and network drivers",
                               node);
    }
    const QemuSize size = qemuSize(spec, options_.vmLimits);
    std::vector<StorageInfo> storages;
    for (const auto& s : view->resources.storages)
        storages.push_back(s);
    auto storage = pickVmStorage(spec.backend.text("storage").has_value()
                                     ? spec.backend.text("storage")
                                     : (c.options().storage.empty() ? std::nullopt
                                                                    : std::optional(c.options().storage)),
                                 node, size.diskGiB << 30, storages);
    if (!storage)
        return std::unexpected(storage.error());
    build.storage = storage->storage;

    ctx.progress(0.03, "create", fmt::format("creating a VM on {} from {}", node, iso->volid));
    if (!note.empty())
        ctx.progress(0.03, "create", note);
    auto made = createWithNewVmid(c, spec, node, name, ctx, [&](uint32_t vmid) -> Result<nlohmann::json> {
        build.vmid = vmid;
        auto params = qemuCreateParams(spec, build, options_.vmLimits);
        if (!params)
            return std::unexpected(params.error());
        return c.api().post(fmt::format("/nodes/{}/qemu", percentEncode(node)), *params, ctx.stopToken());
    });
    if (!made)
        return std::unexpected(made.error());
    const uint32_t vmid = made->vmid;
    auto undo = [&](core::Error e) -> Result<MachineFacts> {
        ctx.progress(0.99, "rollback", fmt::format("removing VM {} again", vmid));
        removeMadeGuest(c, node, vmid, name);
        return std::unexpected(std::move(e));
    };
    const bool toTemplate = spec.backend.flag("make_template").value_or(false);
    if (auto t = made->task.is_null() ? Result<TaskResult>() : followTask(c, made->task, ctx, "create", 0.05, toTemplate ? 0.7 : 0.98); !t)
        return undo(t.error());
    if (ctx.cancelRequested())
        return undo({ErrorCode::Cancelled, "create cancelled"});
    if (toTemplate) {
        core::MachineRecord made{};
        made.name = name;
        made.vmid = vmid;
        made.node = node;
        made.location = c.name();
        if (auto r = makeTemplate(made, ctx); !r)
            return undo(r.error());
    }
    if (!note.empty())
        ctx.progress(0.99, "create", fmt::format("VM {} created on {}; {}", vmid, node, note));

    MachineFacts facts = madeFacts(c, node, vmid, spec);
    // Never started: it waits for its installation from the console.
    facts.state = toTemplate ? core::MachineState::Template : core::MachineState::Stopped;
    return facts;
}

}  // namespace zenith::drivers::proxmox
