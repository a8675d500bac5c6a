// Manager methods of port forwards (an extension of the contract):
// AddPortForward and RemovePortForward are jobs of the operations
// add-forward and remove-forward (polkit action configure); ListPortForwards
// is a read, answered from the engine's records on the loop.
#include "dbus/manager_object.h"

#include <fmt/format.h>

#include "core/log.h"
#include "core/net/nat_rules.h"
#include "dbus/pending_reply.h"

namespace zenith::dbus {

namespace {

// What a caller sent as proto is cut and escaped before it is logged.
constexpr size_t kShownBytes = 16;

core::SpecMap forwardInput(const std::string& proto, uint16_t hostPort, std::optional<uint16_t> machinePort)
{
    core::SpecMap in{{"proto", core::SpecValue{proto, "s"}}, {"host_port", core::SpecValue{hostPort, "q"}}};
    if (machinePort)
        in.emplace("machine_port", core::SpecValue{*machinePort, "q"});
    return in;
}

}  // namespace

void ManagerObject::AddPortForward(OnePath&& result, std::string name, std::string proto, uint16_t hostPort,
                                   uint16_t machinePort, uint64_t flags)
{
    subjectChange(std::move(result), "AddPortForward", "add-forward", name, flags,
                  fmt::format(" {}/{} -> {}", hostPort, core::toSingleLine(proto, kShownBytes), machinePort),
                  [&]() -> core::Result<core::Request> {
                      return engine_.prepare("add-forward",
                                             core::OperationInput{.machine = name,
                                                                  .spec = forwardInput(proto, hostPort, machinePort),
                                                                  .flags = flags});
                  });
}

void ManagerObject::RemovePortForward(OnePath&& result, std::string name, std::string proto, uint16_t hostPort,
                                      uint64_t flags)
{
    subjectChange(std::move(result), "RemovePortForward", "remove-forward", name, flags,
                  fmt::format(" {}/{}", hostPort, core::toSingleLine(proto, kShownBytes)),
                  [&]() -> core::Result<core::Request> {
                      return engine_.prepare("remove-forward",
                                             core::OperationInput{.machine = name,
                                                                  .spec = forwardInput(proto, hostPort, std::nullopt),
                                                                  .flags = flags});
                  });
}

void ManagerObject::ListPortForwards(sdbus::Result<std::vector<ForwardRow>>&& result)
{
    auto reply = makeReply(std::move(result), "ListPortForwards");
    auto caller = currentCaller(getObject());
    if (!caller)
        return reply->fail(caller.error());
    log::debug({.uid = caller->uid}, "ListPortForwards from {}", caller->sender);
    gate_.authorizeRead(*caller, "list-forwards", "", "", [this, reply](core::Result<void> allowed) {
        if (!allowed)
            return reply->fail(allowed.error());
        std::vector<ForwardRow> out;
        for (const auto& f : core::natRulesOf(engine_.machines(), {}).forwards)
            out.emplace_back(f.machine, f.proto, f.hostPort, f.machinePort, f.address);
        reply->ok(out);
    });
}

}  // namespace zenith::dbus
