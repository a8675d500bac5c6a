// Guests of remote backends (a Proxmox cluster's containers and VMs) listed
// as machines: a golden template made by hand on the cluster is a machine a
// caller can clone by name, a guest destroyed there leaves the list, a
// guest started there shows running. The driver reports each listing; a
// machine a job is acting on, or that a job changed after the listing was
// read, is left to that job.
#include <fmt/format.h>

#include "core/engine_impl.h"
#include "core/names.h"

namespace zenith::core {

namespace {

constexpr auto kStaleAfter = std::chrono::minutes(10);

std::string guestKey(std::string_view backend, std::string_view location, uint32_t vmid)
{
    return fmt::format("{}/{}/{}", backend, location, vmid);
}

}  // namespace

void Engine::Impl::watchInventories()
{
    for (auto& [id, d] : drivers)
        if (auto* inv = d->guestInventory()) {
            const std::string backend = id;
            inv->setInventoryListener(
                [this, backend](const std::string& location, Clock::time_point readAt,
                                const std::vector<drivers::RemoteGuest>& guests) {
                    syncInventory(backend, location, readAt, guests);
                });
        }
}

void Engine::Impl::unwatchInventories()
{
    for (auto& [id, d] : drivers)
        if (auto* inv = d->guestInventory())
            inv->setInventoryListener(nullptr);
}

void Engine::Impl::noteJobEnded(const std::string& machine, const std::optional<MachineRecord>& removed)
{
    const auto now = Clock::now();
    touched[machine] = now;
    if (!removed)
        return;
    // A half-made guest is known by what its job checkpointed.
    uint32_t vmid = removed->vmid;
    std::string location = removed->location;
    if (auto it = removed->checkpoints.find("vmid"); !vmid && it != removed->checkpoints.end())
        vmid = static_cast<uint32_t>(std::strtoul(it->second.c_str(), nullptr, 10));
    if (auto it = removed->checkpoints.find("cluster"); location.empty() && it != removed->checkpoints.end())
        location = it->second;
    if (vmid)
        forgotten[guestKey(removed->backend, location, vmid)] = now;
}

void Engine::Impl::syncInventory(const std::string& backend, const std::string& location, Clock::time_point readAt,
                                 const std::vector<drivers::RemoteGuest>& guests)
{
    drivers::Driver* d = driver(backend);
    if (!d)
        return;
    std::vector<MachineRecord> added, changed, removed;
    {
        std::lock_guard lock(mu);
        if (stopping)
            return;
        const auto now = Clock::now();
        std::erase_if(touched, [&](const auto& t) { return now - t.second > kStaleAfter; });
        std::erase_if(forgotten, [&](const auto& t) { return now - t.second > kStaleAfter; });
        auto changedSinceRead = [&](const std::string& name) {
            auto it = touched.find(name);
            return it != touched.end() && it->second >= readAt;
        };

        std::map<uint32_t, MachineRecord*> known;
        std::set<uint32_t> beingMade;  // vmids a running create or clone checkpointed
        for (auto& [name, m] : machines) {
            if (m.backend != backend)
                continue;
            if (m.state == MachineState::Creating) {
                if (auto it = m.checkpoints.find("vmid"); it != m.checkpoints.end())
                    beingMade.insert(static_cast<uint32_t>(std::strtoul(it->second.c_str(), nullptr, 10)));
                continue;
            }
            if (m.location == location && m.vmid)
                known[m.vmid] = &m;
        }

        std::set<uint32_t> listed;
        for (const auto& g : guests) {
            listed.insert(g.vmid);
            if (auto it = known.find(g.vmid); it != known.end()) {
                MachineRecord& m = *it->second;
                if (locks.held(machineLock(m.name).resource) || changedSinceRead(m.name))
                    continue;
                bool dirty = false;
                if (g.state && *g.state != m.state && m.state != MachineState::Failed) {
                    m.state = *g.state;
                    dirty = true;
                }
                if (!g.node.empty() && g.node != m.node) {
                    m.node = g.node;
                    dirty = true;
                }
                if (dirty)
                    changed.push_back(m);
                continue;
            }
            if (beingMade.contains(g.vmid))
                continue;
            if (auto f = forgotten.find(guestKey(backend, location, g.vmid)); f != forgotten.end() && f->second >= readAt)
                continue;
            // Its own name when that is a valid machine name nobody has,
            // else one made from where it is.
            std::string name = g.name;
            if (!validateMachineName(name) || machines.contains(name))
                name = fmt::format("{}-{}-{}", d->kind() == "vm" ? "vm" : "ct", location, g.vmid);
            if (!validateMachineName(name) || machines.contains(name))
                continue;
            MachineRecord m;
            m.name = name;
            m.backend = backend;
            m.kind = std::string(d->kind());
            m.state = g.state.value_or(MachineState::Stopped);
            m.node = g.node;
            m.vmid = g.vmid;
            m.location = location;
            m.memoryMax = g.memoryMax;
            m.specJson = "{}";
            machines.emplace(name, m);
            added.push_back(std::move(m));
        }
        for (auto& [vmid, m] : known)
            if (!listed.contains(vmid) && !locks.held(machineLock(m->name).resource) && !changedSinceRead(m->name))
                removed.push_back(*m);
        for (const auto& m : removed)
            machines.erase(m.name);
    }
    for (const auto& m : added) {
        log::info({.machine = m.name}, "{} {} of {} on {}: listed as machine {}", m.kind == "vm" ? "VM" : "CT", m.vmid,
                  location, m.node, m.name);
        persistMachine(m);
        notifyMachineAdded(m);
    }
    for (const auto& m : changed) {
        persistMachine(m);
        notifyMachineChanged(m);
    }
    for (const auto& m : removed) {
        log::info({.machine = m.name}, "{} {} is no longer on {}: machine {} removed", m.kind == "vm" ? "VM" : "CT",
                  m.vmid, location, m.name);
        releaseAddresses(m.name);
        if (auto r = registry.removeMachine(m.name); !r)
            log::error({.machine = m.name}, "cannot remove machine from registry: {}", r.error().message);
        notifyMachineRemoved(m);
    }
}

}  // namespace zenith::core
