// Validation of requests before authorization: pure, no state changes.
#include <set>

#include "core/engine_impl.h"
#include "core/flags.h"
#include "core/names.h"
#include "core/text_quote.h"

namespace zenith::core {

namespace {

void setNetworkDetails(Request& req, const drivers::Driver& d, const MachineSpec& spec)
{
    req.bridge = d.bridgeFor(spec);
    std::set<uint16_t> ports;
    for (const auto& p : spec.ports.value_or(std::vector<PortForward>{}))
        ports.insert(p.hostPort);
    req.hostPorts.assign(ports.begin(), ports.end());
}

}  // namespace

Result<Request> Engine::prepareCreate(const std::string& name, const std::string& backend, const SpecMap& raw,
                                      uint64_t flags) const
{
    if (auto r = validateMachineName(name, "name"); !r)
        return std::unexpected(r.error());
    if (auto r = validateFlags(flags); !r)
        return std::unexpected(r.error());
    drivers::Driver* d = impl_->driver(backend);
    if (!d) {
        if (backend == "proxmox-lxc" || backend == "proxmox-qemu")
            return fail(ErrorCode::BackendUnavailable,
                        fmt::format("backend '{}' is not configured on this host", backend));
        return fail(ErrorCode::InvalidArgs, fmt::format("unknown backend {} (known: nspawn, proxmox-lxc, proxmox-qemu)",
                                                        quoteForMessage(backend)));
    }
    auto spec = parseSpec(raw, impl_->config.limits);
    if (!spec)
        return std::unexpected(spec.error());
    if (auto r = d->validate(*spec); !r)
        return std::unexpected(r.error());

    Request req;
    req.operation = Operation::Create;
    req.machine = name;
    req.backend = backend;
    req.flags = flags;
    req.templateName = spec->templateName.value_or("");
    req.node = spec->node.value_or("");
    setNetworkDetails(req, *d, *spec);
    req.spec = std::move(*spec);
    return req;
}

Result<Request> Engine::prepareClone(const std::string& source, const std::string& newName, const SpecMap& overrides,
                                     uint64_t flags) const
{
    if (auto r = validateMachineName(source, "source"); !r)
        return std::unexpected(r.error());
    if (auto r = validateMachineName(newName, "new_name"); !r)
        return std::unexpected(r.error());
    if (auto r = validateFlags(flags); !r)
        return std::unexpected(r.error());
    auto over = parseSpec(overrides, impl_->config.limits);
    if (!over)
        return std::unexpected(over.error());
    auto src = machine(source);
    if (!src)
        return fail(ErrorCode::NoSuchMachine, fmt::format("no machine '{}'", source));
    drivers::Driver* d = impl_->driver(src->backend);
    if (!d)
        return fail(ErrorCode::BackendUnavailable, fmt::format("backend '{}' is not configured", src->backend));
    auto base = specFromJson(src->specJson.empty() ? "{}" : src->specJson);
    if (!base)
        return std::unexpected(base.error());
    MachineSpec merged = mergeSpec(*base, *over);
    if (auto r = d->validate(merged); !r)
        return std::unexpected(r.error());

    Request req;
    req.operation = Operation::Clone;
    req.machine = newName;
    req.source = source;
    req.backend = src->backend;
    req.flags = flags;
    // `template` only when the source is one, so a rule can tell cloning a
    // golden template from copying someone's machine (`source`).
    req.templateName = src->state == MachineState::Template ? source : std::string();
    req.node = merged.node.value_or("");
    setNetworkDetails(req, *d, merged);
    req.spec = std::move(merged);
    return req;
}

Result<Request> Engine::prepareSimple(Operation op, const std::string& name, uint64_t flags) const
{
    if (auto r = validateMachineName(name, "name"); !r)
        return std::unexpected(r.error());
    if (auto r = validateFlags(flags); !r)
        return std::unexpected(r.error());
    auto m = machine(name);
    if (!m)
        return fail(ErrorCode::NoSuchMachine, fmt::format("no machine '{}'", name));
    Request req;
    req.operation = op;
    req.machine = name;
    req.backend = m->backend;
    req.flags = flags;
    req.node = m->node;
    return req;
}

}  // namespace zenith::core
