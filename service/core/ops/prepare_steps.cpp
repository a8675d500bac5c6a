#include "core/ops/prepare_steps.h"

#include <set>

#include <fmt/format.h>

#include "core/flags.h"
#include "core/inet.h"
#include "core/ops/address_request.h"
#include "core/names.h"
#include "core/text_quote.h"

namespace zenith::core::ops {

Result<void> checkNameAndFlags(const std::string& name, std::string_view argument, uint64_t flags, uint64_t allowed)
{
    if (auto r = validateMachineName(name, argument); !r)
        return r;
    return validateFlags(flags, allowed);
}

Result<drivers::Driver*> driverFor(const OperationEnv& env, const std::string& backend)
{
    if (drivers::Driver* d = env.driver(backend))
        return d;
    if (backend == "proxmox-lxc" || backend == "proxmox-qemu")
        return fail(ErrorCode::BackendUnavailable, fmt::format("backend '{}' is not configured on this host", backend));
    return fail(ErrorCode::InvalidArgs, fmt::format("unknown backend {} (known: nspawn, proxmox-lxc, proxmox-qemu)",
                                                    quoteForMessage(backend)));
}

Result<Subject> existingSubject(const OperationEnv& env, const std::string& name)
{
    auto m = env.machine(name);
    if (!m)
        return fail(ErrorCode::NoSuchMachine, fmt::format("no machine '{}'", name));
    drivers::Driver* d = env.driver(m->backend);
    if (!d)
        return fail(ErrorCode::BackendUnavailable, fmt::format("backend '{}' is not configured", m->backend));
    return Subject{std::move(*m), d};
}

void setNetworkDetails(Request& req, const drivers::Driver& d, const MachineSpec& spec)
{
    req.bridge = d.bridgeFor(spec);
    std::set<uint16_t> ports;
    for (const auto& p : spec.ports.value_or(std::vector<PortForward>{}))
        ports.insert(p.hostPort);
    req.hostPorts.assign(ports.begin(), ports.end());
}

Result<void> addClaimedLocks(Request& req, const drivers::Driver& d, const OperationEnv& env)
{
    auto address = addressRequestOf(req.spec, d, env);
    if (!address)
        return std::unexpected(address.error());
    auto preview = previewAddress(*address, env, req.machine);
    if (!preview)
        return std::unexpected(preview.error());
    // A chosen address (explicit or by last octet) is claimed from submit;
    // `auto` picks one only when the job leases it.
    std::optional<uint32_t> chosen;
    if (address->kind == AddressRequest::Kind::Explicit)
        chosen = address->address;
    else if (address->kind == AddressRequest::Kind::LastOctet)
        chosen = *preview;
    if (chosen) {
        const std::string text = formatIpv4(*chosen);
        req.locks.push_back({"address:" + text, LockMode::Exclusive, fmt::format("address {}", text)});
    }
    auto preview6 = previewAddress6(*address, env, req.machine);
    if (!preview6)
        return std::unexpected(preview6.error());
    if (address->kind6 == AddressRequest::Kind::Explicit) {
        const std::string text = formatIpv6(address->address6);
        req.locks.push_back({"address:" + text, LockMode::Exclusive, fmt::format("address {}", text)});
    }
    for (const auto& p : req.spec.ports.value_or(std::vector<PortForward>{}))
        req.locks.push_back({fmt::format("hostport:{}/{}", p.proto, p.hostPort), LockMode::Exclusive,
                             fmt::format("host port {}/{}", p.hostPort, p.proto)});
    for (auto& l : d.locksFor(req))
        req.locks.push_back(std::move(l));
    return {};
}

}  // namespace zenith::core::ops
