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

}  // namespace zenith::core::ops
