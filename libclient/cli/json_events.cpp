#include "json_events.h"

#include "exit_codes.h"

namespace zenithctl {

using nlohmann::json;

json submittedEvent(uint32_t job, const std::string& jobPath, const std::string& operation, const std::string& machine,
                    const std::string& machinePath)
{
    json j{{"event", "submitted"}, {"job", job}, {"path", jobPath}, {"operation", operation}, {"machine", machine}};
    if (!machinePath.empty())
        j["machine_path"] = machinePath;
    return j;
}

json progressEvent(uint32_t job, const zenith::client::JobProgress& p)
{
    return json{{"event", "progress"}, {"job", job}, {"progress", p.progress}, {"step", p.step}, {"message", p.message}};
}

json resultEvent(const zenith::client::JobResult& r)
{
    return json{{"event", "result"},
                {"job", r.id},
                {"operation", r.operation},
                {"machine", r.machine},
                {"result", r.result},
                {"message", r.message},
                {"error_name", r.errorName},
                {"error_message", r.errorMessage},
                {"exit_code", toInt(exitCodeFor(r))}};
}

json errorEvent(const zenith::client::Error& e)
{
    return json{{"event", "error"},
                {"error_name", e.name},
                {"kind", zenith::client::errorKindName(e.kind)},
                {"error_message", e.message},
                {"exit_code", toInt(exitCodeFor(e.kind))}};
}

namespace {

json forwardsJson(const std::vector<zenith::client::PortForward>& forwards)
{
    auto out = json::array();
    for (const auto& f : forwards)
        out.push_back({{"proto", f.proto}, {"host_port", f.hostPort}, {"machine_port", f.machinePort}});
    return out;
}

}  // namespace

json toJson(const zenith::client::MachineInfo& m)
{
    return json{{"name", m.name},       {"backend", m.backend},     {"kind", m.kind},
                {"state", m.state},     {"distro", m.distro},       {"release", m.release},
                {"arch", m.arch},       {"addresses", m.addresses}, {"cpu_quota", m.cpuQuota},
                {"memory_max", m.memoryMax}, {"node", m.node},      {"vmid", m.vmid},
                {"created_by_uid", m.createdByUid}, {"uid_shift", m.uidShift},
                {"ssh_host_keys", m.sshHostKeys}, {"number", m.number}, {"bridge", m.bridge},
                {"host_link", m.hostLink}, {"port_forwards", forwardsJson(m.portForwards)}, {"path", m.path}};
}

json toJson(const std::vector<zenith::client::MachineSummary>& rows)
{
    json out = json::array();
    for (const auto& r : rows)
        out.push_back(
            {{"name", r.name}, {"backend", r.backend}, {"state", r.state}, {"address", r.address}, {"path", r.path}});
    return out;
}

json toJson(const std::vector<zenith::client::JobSummary>& rows)
{
    json out = json::array();
    for (const auto& r : rows)
        out.push_back({{"id", r.id},
                       {"operation", r.operation},
                       {"machine", r.machine},
                       {"state", r.state},
                       {"progress", r.progress},
                       {"path", r.path}});
    return out;
}

json toJson(const std::vector<zenith::client::ImageInfo>& rows)
{
    json out = json::array();
    for (const auto& r : rows)
        out.push_back({{"id", r.id}, {"kind", r.kind}, {"location", r.location}, {"size", r.size}});
    return out;
}

}  // namespace zenithctl
