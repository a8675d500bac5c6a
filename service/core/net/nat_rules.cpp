#include "core/net/nat_rules.h"

#include <algorithm>
#include <cctype>
#include <tuple>

#include <fmt/format.h>

#include "core/inet.h"
#include "core/spec.h"

namespace zenith::core {

namespace {

// The machine's first IPv4 address ("" for none).
std::string firstIpv4(const MachineRecord& m)
{
    for (const auto& a : m.addresses)
        if (parseIpv4(a))
            return a;
    return {};
}

// A comment names who a rule is for. Machine and pool names are checked
// ([a-z0-9-] and config section names), but a comment is nft syntax: only
// what cannot end or escape the quoted string goes in.
std::string commentText(std::string_view text)
{
    std::string out;
    for (char c : text.substr(0, 64))
        out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
    return out;
}

}  // namespace

std::vector<PortForward> configuredForwards(const MachineRecord& m)
{
    // Most machines have none: their spec is not parsed.
    if (m.backend != "nspawn" || m.specJson.find("\"ports\"") == std::string::npos)
        return {};
    auto spec = specFromJson(m.specJson);
    return spec && spec->ports ? *spec->ports : std::vector<PortForward>{};
}

std::vector<PortForward> forwardsOf(const MachineRecord& m)
{
    return m.state == MachineState::Template ? std::vector<PortForward>{} : configuredForwards(m);
}

NatRules natRulesOf(const std::vector<MachineRecord>& machines, const Config& config)
{
    NatRules rules;
    for (const auto& m : machines) {
        const std::string address = firstIpv4(m);
        if (address.empty())
            continue;
        for (const auto& p : forwardsOf(m))
            rules.forwards.push_back({m.name, p.proto, p.hostPort, address, p.machinePort});
    }
    std::ranges::sort(rules.forwards, {}, [](const NatForward& f) { return std::tie(f.proto, f.hostPort, f.machine); });
    for (const auto& [name, pool] : config.pools)
        if (pool.nat && !pool.subnet.empty())
            rules.masquerade.push_back({name, pool.subnet});
    return rules;
}

std::string renderNatScript(const NatRules& rules)
{
    const std::string table = fmt::format("{} {}", kNatTableFamily, kNatTableName);
    std::string out = fmt::format("table {} {{\n}}\ndelete table {}\n", table, table);
    if (rules.empty())
        return out;
    std::string dnat;
    for (const auto& f : rules.forwards)
        dnat += fmt::format("\t\tfib daddr type local {} dport {} dnat ip to {}:{} comment \"{}\"\n", f.proto,
                            f.hostPort, f.address, f.machinePort, commentText(f.machine));
    out += fmt::format("table {} {{\n", table);
    out += "\tchain prerouting {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n" + dnat + "\t}\n";
    // The host's own connections pass output, not prerouting. (Its loopback
    // addresses are local too, but a DNAT from 127.0.0.1 to a machine is
    // dropped as a martian unless route_localnet is set; use another of the
    // host's addresses.) dstnat is not a name nft 1.0.6 knows for output.
    out += "\tchain output {\n\t\ttype nat hook output priority -100; policy accept;\n" + dnat + "\t}\n";
    out += "\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n";
    for (const auto& m : rules.masquerade)
        out += fmt::format("\t\tip saddr {} ip daddr != {} masquerade comment \"pool {}\"\n", m.subnet, m.subnet,
                           commentText(m.pool));
    out += "\t}\n}\n";
    return out;
}

}  // namespace zenith::core
