#include "daemon_view.h"

#include <stdexcept>

#include <fmt/format.h>

namespace zenith::bustest {

client::Client connectClient(std::chrono::milliseconds callTimeout)
{
    client::ConnectOptions options;
    options.callTimeout = callTimeout;
    auto c = client::Client::connect(options);
    if (!c) {
        throw std::runtime_error(fmt::format("connect: {}: {}", c.error().name, c.error().message));
    }
    return std::move(*c);
}

std::set<std::string> machineNames()
{
    auto rows = connectClient().machines();
    if (!rows) {
        throw std::runtime_error("ListMachines: " + callErrorText(rows.error()));
    }
    std::set<std::string> names;
    for (const auto& r : *rows) {
        names.insert(r.name);
    }
    return names;
}

std::set<uint32_t> jobIds()
{
    auto rows = connectClient().jobs();
    if (!rows) {
        throw std::runtime_error("ListJobs: " + callErrorText(rows.error()));
    }
    std::set<uint32_t> ids;
    for (const auto& r : *rows) {
        ids.insert(r.id);
    }
    return ids;
}

std::optional<client::MachineInfo> machineInfo(const std::string& name)
{
    auto info = connectClient().machine(name);
    if (!info) {
        if (info.error().kind != client::ErrorKind::NoSuchMachine) {
            throw std::runtime_error("GetMachine: " + callErrorText(info.error()));
        }
        return std::nullopt;
    }
    return *info;
}

bool machineOnBus(const std::string& name)
{
    return machineInfo(name).has_value();
}

std::string machineState(const std::string& name)
{
    auto info = machineInfo(name);
    return info ? info->state : "absent";
}

client::Spec bookwormSpec()
{
    client::Spec spec;
    spec.setDistro("debian").setRelease("bookworm");
    return spec;
}

std::string callErrorText(const client::Error& error)
{
    return error.name.empty() ? "error: " + error.message : error.name;
}

std::string outcomeText(const client::Result<client::JobResult>& result)
{
    if (!result) {
        return callErrorText(result.error());
    }
    if (result->outcome == client::JobOutcome::Done) {
        return "done";
    }
    if (result->outcome == client::JobOutcome::Cancelled) {
        return "cancelled";
    }
    return fmt::format("failed {}: {}", result->errorName, result->errorMessage);
}

void destroyIfPresent(const std::string& name)
{
    auto c = connectClient();
    auto job = c.destroy(name, client::kFlagForce);
    if (!job) {
        if (job.error().kind != client::ErrorKind::NoSuchMachine) {
            fmt::print(stderr, "cleanup: DestroyMachine({}) failed: {}: {}\n", name, job.error().name,
                       job.error().message);
        }
        return;
    }
    auto done = job->wait({}, std::chrono::minutes(3));
    if (outcomeText(done) != "done") {
        fmt::print(stderr, "cleanup: destroying {}: {}\n", name, outcomeText(done));
    }
}

std::string createStoppedAsRoot(const std::string& name)
{
    auto c = connectClient();
    auto made = c.create(name, "nspawn", bookwormSpec(), client::kFlagNoStart);
    if (!made) {
        return callErrorText(made.error());
    }
    return outcomeText(made->job.wait({}, std::chrono::minutes(30)));
}

std::optional<CallError> rawCreate(const std::string& name, const std::string& backend,
                                   const std::map<std::string, sdbus::Variant>& spec, uint64_t flags)
{
    auto connection = sdbus::createSystemBusConnection();
    auto proxy = sdbus::createProxy(*connection, "org.zenith.Provisioner", "/org/zenith/Provisioner");
    try {
        sdbus::ObjectPath machine, job;
        proxy->callMethod("CreateMachine")
            .onInterface(kManagerInterface)
            .withArguments(name, backend, spec, flags)
            .storeResultsTo(machine, job);
        return std::nullopt;
    } catch (const sdbus::Error& e) {
        return CallError{e.getName(), e.getMessage()};
    }
}

}  // namespace zenith::bustest
