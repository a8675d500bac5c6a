// Reads of what remote backends know besides their machines: hosts,
// storages, a machine's health and backups. Answered from the drivers'
// caches, so safe on the bus loop.
#include <fmt/format.h>

#include "core/engine_impl.h"
#include "core/ops/prepare_steps.h"

namespace zenith::core {

namespace {

template <class Capability>
Result<Capability*> capabilityOf(const OperationEnv& impl, const std::string& backend,
                                 Capability* (drivers::Driver::*get)(), std::string_view what)
{
    auto d = ops::driverFor(impl, backend);
    if (!d)
        return std::unexpected(d.error());
    Capability* c = ((*d)->*get)();
    if (!c)
        return drivers::notOnThisBackend(backend, what);
    return c;
}

}  // namespace

Result<std::vector<drivers::NodeInfo>> Engine::nodes(const std::string& backend)
{
    auto c = capabilityOf(*impl_, backend, &drivers::Driver::clusterCatalog, "a list of nodes is");
    if (!c)
        return std::unexpected(c.error());
    return (*c)->nodes();
}

Result<std::vector<drivers::StorageSummary>> Engine::storages(const std::string& backend)
{
    auto c = capabilityOf(*impl_, backend, &drivers::Driver::clusterCatalog, "a list of storages is");
    if (!c)
        return std::unexpected(c.error());
    return (*c)->storages();
}

Result<drivers::MachineHealth> Engine::health(const std::string& machine)
{
    auto m = impl_->machine(machine);
    if (!m)
        return fail(ErrorCode::NoSuchMachine, fmt::format("no machine '{}'", machine));
    auto c = capabilityOf(*impl_, m->backend, &drivers::Driver::clusterCatalog, "health is");
    if (!c)
        return std::unexpected(c.error());
    return (*c)->health(*m);
}

Result<std::vector<drivers::BackupInfo>> Engine::backups(const std::string& machine)
{
    auto m = impl_->machine(machine);
    if (!m)
        return fail(ErrorCode::NoSuchMachine, fmt::format("no machine '{}'", machine));
    auto c = capabilityOf(*impl_, m->backend, &drivers::Driver::backupCapability, "backup is");
    if (!c)
        return std::unexpected(c.error());
    return (*c)->backups(*m);
}

}  // namespace zenith::core
