// Manager.ListBridges (an extension of the contract): the bridges nspawn
// machines may join, with their ports and whose machine each one is. Read
// from the kernel over netlink in well under a millisecond, so it answers
// on the loop like the other reads.
#include "dbus/manager_object.h"

#include <algorithm>
#include <map>

#include "core/log.h"
#include "core/text_quote.h"
#include "dbus/pending_reply.h"
#include "net/bridge_status.h"

namespace zenith::dbus {

namespace {

// Link names are the host admin's (a tenant cannot name a link of the
// host's namespace), at most 15 bytes; made valid UTF-8 all the same, as
// any text from outside the daemon is before it goes on the bus.
constexpr size_t kLinkNameBytes = 64;

// The bridges in the order the config names them: Bridge= first.
std::vector<std::string> configuredBridges(const core::Config& config)
{
    std::vector<std::string> out;
    if (!config.bridge.empty())
        out.push_back(config.bridge);
    for (const auto& b : config.bridges)
        if (std::ranges::find(out, b) == out.end())
            out.push_back(b);
    return out;
}

// Host link -> machine. A machine made before host links were named after
// machine numbers has systemd-nspawn's vb-<name> (when that fits a link
// name uncut).
std::map<std::string, std::string> machinesByHostLink(const std::vector<core::MachineRecord>& machines)
{
    std::map<std::string, std::string> out;
    for (const auto& m : machines) {
        if (!m.hostLink.empty())
            out[m.hostLink] = m.name;
        else if (!m.bridge.empty() && m.name.size() <= 12)
            out.emplace("vb-" + m.name, m.name);
    }
    return out;
}

}  // namespace

void ManagerObject::ListBridges(sdbus::Result<std::vector<BridgeRow>>&& result)
{
    auto reply = makeReply(std::move(result), "ListBridges");
    auto caller = currentCaller(getObject());
    if (!caller)
        return reply->fail(caller.error());
    log::debug({.uid = caller->uid}, "ListBridges from {}", caller->sender);
    gate_.authorizeRead(*caller, "list-bridges", "", "", [this, reply](core::Result<void> allowed) {
        if (!allowed)
            return reply->fail(allowed.error());
        auto bridges = net::bridgeStatus(configuredBridges(engine_.config()));
        if (!bridges)
            return reply->fail(bridges.error());
        const auto owners = machinesByHostLink(engine_.machines());
        std::vector<BridgeRow> out;
        for (const auto& b : *bridges) {
            std::vector<BridgePortRow> ports;
            for (const auto& p : b.ports) {
                auto owner = owners.find(p.link);
                ports.emplace_back(core::toValidUtf8(p.link, kLinkNameBytes), p.state,
                                   owner == owners.end() ? std::string() : owner->second);
            }
            out.emplace_back(core::toValidUtf8(b.name, kLinkNameBytes), b.state, b.addresses, std::move(ports));
        }
        reply->ok(out);
    });
}

}  // namespace zenith::dbus
