// One org.zenith.Provisioner.Machine object per machine, at
// machineObjectPath(name): read-only properties mirroring the registry
// record, PropertiesChanged for every property that changes.
#pragma once

#include <string>
#include <vector>

#include <sdbus-c++/sdbus-c++.h>

#include "core/machine.h"
#include "zenith/glue/machine_adaptor.h"

namespace zenith::dbus {

inline constexpr const char* kMachineInterface = "org.zenith.Provisioner.Machine";

// Names of the bus properties that differ between two records.
std::vector<std::string> changedMachineProperties(const core::MachineRecord& before, const core::MachineRecord& after);

class MachineObject final
    : public sdbus::AdaptorInterfaces<org::zenith::Provisioner::Machine_adaptor, sdbus::Properties_adaptor,
                                      sdbus::ManagedObject_adaptor> {
public:
    MachineObject(sdbus::IConnection& connection, core::MachineRecord record);
    ~MachineObject();

    void update(const core::MachineRecord& record);
    const core::MachineRecord& record() const { return record_; }

private:
    std::string Name() override { return record_.name; }
    std::string Backend() override { return record_.backend; }
    std::string Kind() override { return record_.kind; }
    std::string State() override { return std::string(core::toString(record_.state)); }
    std::string Distro() override { return record_.distro; }
    std::string Release() override { return record_.release; }
    std::string Arch() override { return record_.arch; }
    std::vector<std::string> Addresses() override { return record_.addresses; }
    uint32_t CPUQuota() override { return record_.cpuQuota; }
    uint64_t MemoryMax() override { return record_.memoryMax; }
    std::string Node() override { return record_.node; }
    uint32_t VMID() override { return record_.vmid; }
    uint32_t UIDShift() override { return record_.uidShift; }
    std::vector<std::string> SSHHostKeys() override { return record_.sshHostKeys; }
    uint32_t Number() override { return record_.number; }
    std::string Bridge() override { return record_.bridge; }
    std::string HostLink() override { return record_.hostLink; }
    std::vector<sdbus::Struct<std::string, uint16_t, uint16_t>> PortForwards() override;
    uint32_t CreatedByUID() override { return record_.createdByUid; }

    core::MachineRecord record_;
};

}  // namespace zenith::dbus
