// create for proxmox-lxc: a container from a template file (`ostemplate`,
// e.g. local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst) on the node
// that holds it, its root disk on a storage for container volumes, the
// settings of the spec, unprivileged unless the spec says otherwise.
#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/inet.h"
#include "drivers/proxmox/guest_driver.h"
#include "drivers/proxmox/guest_images.h"

namespace zenith::drivers::proxmox {

using core::ErrorCode;
using core::Result;

namespace {

constexpr uint64_t kDefaultDisk = 8ull << 30;

// The spec's storage, the cluster's default, or the one with most room
// among those that take container volumes on `node`.
Result<std::string> rootStorage(const ClusterView& view, const ClusterOptions& opts, const std::string& node,
                                const std::optional<std::string>& wanted, uint64_t bytes)
{
    const std::string name = wanted.value_or(opts.storage);
    const StorageInfo* best = nullptr;
    for (const auto& s : view.resources.storages) {
        if (s.node != node || !s.holds("rootdir"))
            continue;
        if (!name.empty() && s.storage == name)
            best = &s;
        else if (name.empty() && s.active && (!best || s.avail > best->avail))
            best = &s;
    }
    if (!best)
        return core::fail(ErrorCode::InvalidArgs,
                          name.empty() ? fmt::format("node {} has no storage for container volumes", node)
                                       : fmt::format("spec key 'storage': {} is not a storage for container volumes "
                                                     "on node {}",
                                                     name, node));
    if (!best->active)
        return core::fail(ErrorCode::InvalidArgs,
                          fmt::format("storage {} on node {} is not active", best->storage, node));
    if (best->avail < bytes)
        return core::fail(ErrorCode::InvalidArgs,
                          fmt::format("storage {} on node {} has {:.1f} GiB free, the container needs {:.1f} GiB",
                                      best->storage, node, best->avail / double(1ull << 30), bytes / double(1ull << 30)));
    return best->storage;
}

}  // namespace

Result<MachineFacts> GuestDriver::createLxc(Cluster& c, const std::string& name, const core::MachineSpec& spec,
                                            bool start, JobContext& ctx)
{
    auto view = c.view();
    auto tmpl = findVolume("ostemplate", spec.backend.text("ostemplate").value_or(""), view->templates,
                           spec.backend.text("node"));
    if (!tmpl)
        return std::unexpected(tmpl.error());
    const std::string node = tmpl->node;
    const uint64_t disk = spec.diskMax.value_or(kDefaultDisk);
    auto storage = rootStorage(*view, c.options(), node, spec.backend.text("storage"), disk);
    if (!storage)
        return std::unexpected(storage.error());
    auto settings = lxcSettings(c, spec);
    if (!settings)
        return std::unexpected(settings.error());

    Params params{{"ostemplate", tmpl->volid},
                  {"hostname", name},
                  {"rootfs", fmt::format("{}:{}", *storage, (disk + (1ull << 30) - 1) >> 30)},
                  {"unprivileged", spec.backend.flag("unprivileged").value_or(true) ? "1" : "0"}};
    params.insert(params.end(), settings->begin(), settings->end());
    if (spec.password)
        params.emplace_back("password", spec.password->reveal());
    if (spec.sshAuthorizedKeys && !spec.sshAuthorizedKeys->empty()) {
        std::string keys;
        for (const auto& k : *spec.sshAuthorizedKeys)
            keys += k + "\n";
        params.emplace_back("ssh-public-keys", keys);
    }

    ctx.progress(0.03, "create", fmt::format("creating a container from {} on {}", tmpl->volid, node));
    auto made = createWithNewVmid(c, spec, node, name, ctx, [&](uint32_t vmid) {
        Params call = params;
        call.emplace(call.begin(), "vmid", std::to_string(vmid));
        return c.api().post(fmt::format("/nodes/{}/lxc", percentEncode(node)), call, ctx.stopToken());
    });
    if (!made)
        return std::unexpected(made.error());
    const uint32_t vmid = made->vmid;
    auto undo = [&](core::Error e) -> Result<MachineFacts> {
        ctx.progress(0.99, "rollback", fmt::format("removing CT {} again", vmid));
        removeMadeGuest(c, node, vmid, name);
        return std::unexpected(std::move(e));
    };
    if (auto t = made->task.is_null() ? Result<TaskResult>() : followTask(c, made->task, ctx, "create", 0.05, start ? 0.75 : 0.98); !t)
        return undo(t.error());
    if (ctx.cancelRequested())
        return undo({ErrorCode::Cancelled, "create cancelled"});
    if (start)
        if (auto r = startGuest(c, node, vmid, ctx, 0.78, 0.98); !r)
            return undo(r.error());

    return madeFacts(c, node, vmid, spec);
}

}  // namespace zenith::drivers::proxmox
