#include "convert.h"

#include <type_traits>

namespace zenith::client::detail {
namespace {

template <typename T>
void read(const VariantMap& props, const char* key, T& out)
{
    auto it = props.find(key);
    if (it != props.end() && it->second.containsValueOfType<T>())
        out = it->second.get<T>();
}

sdbus::Variant toVariant(const SpecValue& value)
{
    return std::visit(
        [](const auto& v) -> sdbus::Variant {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::vector<PortForward>>) {
                std::vector<sdbus::Struct<std::string, uint16_t, uint16_t>> ports;
                for (const auto& p : v)
                    ports.emplace_back(p.proto, p.hostPort, p.machinePort);
                return sdbus::Variant(ports);
            } else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) {
                std::map<std::string, sdbus::Variant> inner;
                for (const auto& [k, s] : v)
                    inner.emplace(k, sdbus::Variant(s));
                return sdbus::Variant(inner);
            } else {
                return sdbus::Variant(v);
            }
        },
        value);
}

}  // namespace

VariantMap toVariantMap(const Spec& spec)
{
    VariantMap out;
    for (const auto& [key, value] : spec.values())
        out.emplace(key, toVariant(value));
    return out;
}

MachineInfo machineFromProperties(const VariantMap& props, std::string path)
{
    MachineInfo m;
    m.path = std::move(path);
    read(props, "Name", m.name);
    read(props, "Backend", m.backend);
    read(props, "Kind", m.kind);
    read(props, "State", m.state);
    read(props, "Distro", m.distro);
    read(props, "Release", m.release);
    read(props, "Arch", m.arch);
    read(props, "Addresses", m.addresses);
    read(props, "CPUQuota", m.cpuQuota);
    read(props, "MemoryMax", m.memoryMax);
    read(props, "Node", m.node);
    read(props, "VMID", m.vmid);
    read(props, "CreatedByUID", m.createdByUid);
    read(props, "UIDShift", m.uidShift);
    read(props, "SSHHostKeys", m.sshHostKeys);
    read(props, "Number", m.number);
    read(props, "Bridge", m.bridge);
    read(props, "HostLink", m.hostLink);
    std::vector<sdbus::Struct<std::string, uint16_t, uint16_t>> forwards;
    read(props, "PortForwards", forwards);
    for (const auto& f : forwards)
        m.portForwards.push_back(PortForward{f.get<0>(), f.get<1>(), f.get<2>()});
    return m;
}

MachineHealth healthFromMap(const VariantMap& values)
{
    MachineHealth h;
    read(values, "status", h.status);
    read(values, "uptime", h.uptime);
    read(values, "cpu", h.cpu);
    read(values, "cpus", h.cpus);
    read(values, "memory", h.memory);
    read(values, "memory_max", h.memoryMax);
    read(values, "lock", h.lock);
    read(values, "as_of", h.asOf);
    return h;
}

VariantMap toVariantMap(const BackupOptions& options)
{
    VariantMap out;
    if (!options.storage.empty())
        out.emplace("storage", sdbus::Variant(options.storage));
    if (!options.mode.empty())
        out.emplace("mode", sdbus::Variant(options.mode));
    return out;
}

void applyJobProperties(JobStatus& j, const VariantMap& props)
{
    read(props, "Id", j.id);
    read(props, "Operation", j.operation);
    read(props, "Machine", j.machine);
    read(props, "State", j.state);
    read(props, "Progress", j.progress);
    read(props, "Step", j.step);
    read(props, "Message", j.message);
    read(props, "StartedByUID", j.startedByUid);
    read(props, "Cancelable", j.cancelable);
    read(props, "ErrorName", j.errorName);
    read(props, "ErrorMessage", j.errorMessage);
}

JobStatus jobFromProperties(const VariantMap& props, std::string path)
{
    JobStatus j;
    j.path = std::move(path);
    applyJobProperties(j, props);
    return j;
}

}  // namespace zenith::client::detail
