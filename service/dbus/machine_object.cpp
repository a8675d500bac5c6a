#include "dbus/machine_object.h"

#include "core/names.h"
#include "core/net/nat_rules.h"

namespace zenith::dbus {

std::vector<std::string> changedMachineProperties(const core::MachineRecord& a, const core::MachineRecord& b)
{
    // Name, Backend, Kind and CreatedByUID are const for an object's life.
    std::vector<std::string> out;
    if (a.state != b.state) out.emplace_back("State");
    if (a.distro != b.distro) out.emplace_back("Distro");
    if (a.release != b.release) out.emplace_back("Release");
    if (a.arch != b.arch) out.emplace_back("Arch");
    if (a.addresses != b.addresses) out.emplace_back("Addresses");
    if (a.cpuQuota != b.cpuQuota) out.emplace_back("CPUQuota");
    if (a.memoryMax != b.memoryMax) out.emplace_back("MemoryMax");
    if (a.node != b.node) out.emplace_back("Node");
    if (a.vmid != b.vmid) out.emplace_back("VMID");
    if (a.uidShift != b.uidShift) out.emplace_back("UIDShift");
    if (a.sshHostKeys != b.sshHostKeys) out.emplace_back("SSHHostKeys");
    if (a.bridge != b.bridge) out.emplace_back("Bridge");
    if (a.hostLink != b.hostLink) out.emplace_back("HostLink");
    if (a.specJson != b.specJson && core::configuredForwards(a) != core::configuredForwards(b))
        out.emplace_back("PortForwards");
    return out;
}

MachineObject::MachineObject(sdbus::IConnection& connection, core::MachineRecord record)
    : AdaptorInterfaces(connection, core::machineObjectPath(record.name)), record_(std::move(record))
{
    registerAdaptor();
}

std::vector<sdbus::Struct<std::string, uint16_t, uint16_t>> MachineObject::PortForwards()
{
    std::vector<sdbus::Struct<std::string, uint16_t, uint16_t>> out;
    for (const auto& p : core::configuredForwards(record_))
        out.emplace_back(p.proto, p.hostPort, p.machinePort);
    return out;
}

MachineObject::~MachineObject()
{
    unregisterAdaptor();
}

void MachineObject::update(const core::MachineRecord& record)
{
    auto changed = changedMachineProperties(record_, record);
    record_ = record;
    if (!changed.empty())
        emitPropertiesChangedSignal(kMachineInterface, changed);
}

}  // namespace zenith::dbus
