#include "core/ops/forward_steps.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/text_quote.h"
#include "drivers/capabilities.h"

namespace zenith::core::ops {

namespace {

Result<uint16_t> portArgument(const SpecMap& input, const char* key)
{
    auto it = input.find(key);
    if (it == input.end())
        return fail(ErrorCode::InvalidArgs, fmt::format("{}: missing", key));
    // q on the bus; u accepted too (what a script's busctl sends easily).
    uint32_t n = 0;
    if (const auto* q = std::get_if<uint16_t>(&it->second.value))
        n = *q;
    else if (const auto* u = std::get_if<uint32_t>(&it->second.value))
        n = *u;
    if (n == 0 || n > 65535)
        return fail(ErrorCode::InvalidArgs, fmt::format("{}: expected a port, 1-65535", key));
    return static_cast<uint16_t>(n);
}

}  // namespace

Result<PortForward> forwardOf(const SpecMap& input, bool withMachinePort)
{
    for (const auto& [key, value] : input)
        if (key != "proto" && key != "host_port" && !(withMachinePort && key == "machine_port"))
            return fail(ErrorCode::InvalidArgs, fmt::format("unknown argument {}", quoteForMessage(key)));
    PortForward f;
    auto proto = input.find("proto");
    const auto* text = proto == input.end() ? nullptr : std::get_if<std::string>(&proto->second.value);
    if (!text || (*text != "tcp" && *text != "udp"))
        return fail(ErrorCode::InvalidArgs, "proto: expected tcp or udp");
    f.proto = *text;
    auto host = portArgument(input, "host_port");
    if (!host)
        return std::unexpected(host.error());
    f.hostPort = *host;
    if (withMachinePort) {
        auto machine = portArgument(input, "machine_port");
        if (!machine)
            return std::unexpected(machine.error());
        f.machinePort = *machine;
    }
    return f;
}

Result<ForwardSubject> forwardSubject(const OperationEnv& env, const std::string& machine)
{
    auto subject = existingSubject(env, machine);
    if (!subject)
        return std::unexpected(subject.error());
    if (!subject->driver->hostForwards())
        return drivers::notOnThisBackend(subject->record.backend, "port forwards are");
    auto spec = specFromJson(subject->record.specJson.empty() ? "{}" : subject->record.specJson,
                             subject->driver->specKeys());
    if (!spec)
        return std::unexpected(spec.error());
    return ForwardSubject{std::move(*subject), std::move(*spec)};
}

bool hasHostPort(const MachineSpec& spec, const PortForward& f)
{
    const auto& ports = spec.ports.value_or(std::vector<PortForward>{});
    return std::ranges::any_of(ports, [&](const PortForward& p) { return p.proto == f.proto && p.hostPort == f.hostPort; });
}

Result<Request> ForwardOperation::prepare(const OperationInput& in, const OperationEnv& env) const
{
    auto req = SubjectOperation::prepare(in, env);
    if (!req)
        return req;
    auto f = forwardOf(in.spec, withMachinePort());
    if (!f)
        return std::unexpected(f.error());
    auto s = forwardSubject(env, in.machine);
    if (!s)
        return std::unexpected(s.error());
    if (auto r = check(*s, *f, in.machine); !r)
        return std::unexpected(r.error());
    req->spec.ports = std::vector<PortForward>{*f};
    req->hostPorts = {f->hostPort};
    if (publishesPorts())
        req->locks.push_back({fmt::format("hostport:{}/{}", f->proto, f->hostPort), LockMode::Exclusive,
                              fmt::format("host port {}/{}", f->hostPort, f->proto)});
    return req;
}

Result<void> ForwardOperation::run(OperationRun& run) const
{
    auto subject = SubjectOperation::subject(run);
    if (!subject)
        return std::unexpected(subject.error());
    auto spec = specFromJson(subject->specJson.empty() ? "{}" : subject->specJson, run.driver().specKeys());
    if (!spec)
        return std::unexpected(spec.error());
    const PortForward& f = run.request().spec.ports->front();
    auto ports = changed(spec->ports.value_or(std::vector<PortForward>{}), f);
    if (ports.empty())
        spec->ports.reset();
    else
        spec->ports = std::move(ports);
    run.setSpec(*spec);
    run.job().progress(1.0, "forward", doneMessage(f));
    return {};
}

}  // namespace zenith::core::ops
