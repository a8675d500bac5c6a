#include "zenith/client/client.h"

#include "convert.h"
#include "sdbus_error.h"
#include "session.h"

namespace zenith::client {

Result<Client> Client::connect(const ConnectOptions& options)
{
    auto session = detail::Session::open(options);
    if (!session)
        return std::unexpected(session.error());
    return Client(std::move(*session));
}

Client::Client(std::shared_ptr<detail::Session> session) : session_(std::move(session)) {}

Job Client::job(uint32_t id) const
{
    return Job(session_, id, std::string(kRootPath) + "/job/" + std::to_string(id));
}

Result<Submitted> Client::create(const std::string& name, const std::string& backend, const Spec& spec, uint64_t flags)
{
    return detail::guarded([&] {
        auto [machine, job] = session_->manager().CreateMachine(name, backend, detail::toVariantMap(spec), flags);
        return Submitted{Job(session_, jobIdFromPath(job), job), machine};
    });
}

Result<Submitted> Client::clone(const std::string& source, const std::string& newName, const Spec& overrides,
                                uint64_t flags)
{
    return detail::guarded([&] {
        auto [machine, job] =
            session_->manager().CloneMachine(source, newName, detail::toVariantMap(overrides), flags);
        return Submitted{Job(session_, jobIdFromPath(job), job), machine};
    });
}

Result<Job> Client::destroy(const std::string& name, uint64_t flags)
{
    return detail::guarded([&] {
        std::string job = session_->manager().DestroyMachine(name, flags);
        return Job(session_, jobIdFromPath(job), job);
    });
}

Result<Job> Client::start(const std::string& name, uint64_t flags)
{
    return detail::guarded([&] {
        std::string job = session_->manager().StartMachine(name, flags);
        return Job(session_, jobIdFromPath(job), job);
    });
}

Result<Job> Client::stop(const std::string& name, uint64_t flags)
{
    return detail::guarded([&] {
        std::string job = session_->manager().StopMachine(name, flags);
        return Job(session_, jobIdFromPath(job), job);
    });
}

Result<Job> Client::makeTemplate(const std::string& name, uint64_t flags)
{
    return detail::guarded([&] {
        std::string job = session_->manager().MakeTemplate(name, flags);
        return Job(session_, jobIdFromPath(job), job);
    });
}

Result<MachineInfo> Client::machine(const std::string& name)
{
    return detail::guarded([&] {
        std::string path = session_->manager().GetMachine(name);
        auto proxy = sdbus::createProxy(session_->connection(), kBusName, path);
        detail::VariantMap props;
        proxy->callMethod("GetAll")
            .onInterface("org.freedesktop.DBus.Properties")
            .withArguments(std::string("org.zenith.Provisioner.Machine"))
            .storeResultsTo(props);
        return detail::machineFromProperties(props, path);
    });
}

Result<std::vector<MachineSummary>> Client::machines()
{
    return detail::guarded([&] {
        std::vector<MachineSummary> out;
        for (const auto& row : session_->manager().ListMachines())
            out.push_back(MachineSummary{row.get<0>(), row.get<1>(), row.get<2>(), row.get<3>(), row.get<4>()});
        return out;
    });
}

Result<std::vector<JobSummary>> Client::jobs()
{
    return detail::guarded([&] {
        std::vector<JobSummary> out;
        for (const auto& row : session_->manager().ListJobs())
            out.push_back(
                JobSummary{row.get<0>(), row.get<1>(), row.get<2>(), row.get<3>(), row.get<4>(), row.get<5>()});
        return out;
    });
}

Result<std::vector<ImageInfo>> Client::images(const std::string& backend)
{
    return detail::guarded([&] {
        std::vector<ImageInfo> out;
        for (const auto& row : session_->manager().ListImages(backend))
            out.push_back(ImageInfo{row.get<0>(), row.get<1>(), row.get<2>(), row.get<3>()});
        return out;
    });
}

Result<std::vector<PoolInfo>> Client::pools()
{
    return detail::guarded([&] {
        std::vector<PoolInfo> out;
        for (const auto& row : session_->manager().ListPools())
            out.push_back(PoolInfo{row.get<0>(), row.get<1>(), row.get<2>(), row.get<3>(), row.get<4>(), row.get<5>(),
                                   row.get<6>()});
        return out;
    });
}

Result<std::vector<BridgeInfo>> Client::bridges()
{
    return detail::guarded([&] {
        std::vector<BridgeInfo> out;
        for (const auto& row : session_->manager().ListBridges()) {
            BridgeInfo b{row.get<0>(), row.get<1>(), row.get<2>(), {}};
            for (const auto& p : row.get<3>())
                b.ports.push_back(BridgePortInfo{p.get<0>(), p.get<1>(), p.get<2>()});
            out.push_back(std::move(b));
        }
        return out;
    });
}

Result<std::vector<LeaseInfo>> Client::leases(const std::string& pool)
{
    return detail::guarded([&] {
        std::vector<LeaseInfo> out;
        for (const auto& row : session_->manager().ListLeases(pool))
            out.push_back(LeaseInfo{row.get<0>(), row.get<1>()});
        return out;
    });
}

Result<std::string> Client::nextFreeAddress(const std::string& pool)
{
    return detail::guarded([&] { return session_->manager().NextFreeAddress(pool); });
}

Result<std::string> Client::nextFreeAddress6(const std::string& pool)
{
    return detail::guarded([&] { return session_->manager().NextFreeAddress6(pool); });
}

Result<std::vector<NodeInfo>> Client::nodes(const std::string& backend)
{
    return detail::guarded([&] {
        std::vector<NodeInfo> out;
        for (const auto& row : session_->manager().ListNodes(backend))
            out.push_back(NodeInfo{row.get<0>(), row.get<1>(), row.get<2>(), row.get<3>(), row.get<4>(), row.get<5>(),
                                   row.get<6>()});
        return out;
    });
}

Result<std::vector<StorageInfo>> Client::storages(const std::string& backend)
{
    return detail::guarded([&] {
        std::vector<StorageInfo> out;
        for (const auto& row : session_->manager().ListStorages(backend))
            out.push_back(StorageInfo{row.get<0>(), row.get<1>(), row.get<2>(), row.get<3>(), row.get<4>(),
                                      row.get<5>(), row.get<6>(), row.get<7>(), row.get<8>()});
        return out;
    });
}

Result<MachineHealth> Client::health(const std::string& name)
{
    return detail::guarded([&] { return detail::healthFromMap(session_->manager().GetHealth(name)); });
}

Result<std::vector<BackupInfo>> Client::backups(const std::string& name)
{
    return detail::guarded([&] {
        std::vector<BackupInfo> out;
        for (const auto& row : session_->manager().ListBackups(name))
            out.push_back(BackupInfo{row.get<0>(), row.get<1>(), row.get<2>(), row.get<3>(), row.get<4>(),
                                     row.get<5>(), row.get<6>()});
        return out;
    });
}

Result<std::vector<ForwardInfo>> Client::portForwards()
{
    return detail::guarded([&] {
        std::vector<ForwardInfo> out;
        for (const auto& row : session_->manager().ListPortForwards())
            out.push_back(ForwardInfo{row.get<0>(), row.get<1>(), row.get<2>(), row.get<3>(), row.get<4>()});
        return out;
    });
}

Result<Job> Client::addPortForward(const std::string& name, const PortForward& forward, uint64_t flags)
{
    return detail::guarded([&] {
        std::string job =
            session_->manager().AddPortForward(name, forward.proto, forward.hostPort, forward.machinePort, flags);
        return Job(session_, jobIdFromPath(job), job);
    });
}

Result<Job> Client::removePortForward(const std::string& name, const std::string& proto, uint16_t hostPort,
                                      uint64_t flags)
{
    return detail::guarded([&] {
        std::string job = session_->manager().RemovePortForward(name, proto, hostPort, flags);
        return Job(session_, jobIdFromPath(job), job);
    });
}

Result<Job> Client::backup(const std::string& name, const BackupOptions& options, uint64_t flags)
{
    return detail::guarded([&] {
        std::string job = session_->manager().BackupMachine(name, detail::toVariantMap(options), flags);
        return Job(session_, jobIdFromPath(job), job);
    });
}

Result<void> Client::cancel(uint32_t jobId)
{
    return detail::guarded([&] { session_->manager().CancelJob(jobId); });
}

}  // namespace zenith::client
