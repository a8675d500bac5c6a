#include "pool_commands.h"

#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tables.h"

namespace zenithctl {

using nlohmann::json;

PoolCommands addPoolCommands(CLI::App& app)
{
    PoolCommands c;
    c.pools = app.add_subcommand("pools", "List address pools with their use");
    c.leases = app.add_subcommand("leases", "List the addresses a pool has handed out");
    c.leases->add_option("POOL", c.pool, "Pool name (see `zenithctl pools`)")->required();
    c.nextIp = app.add_subcommand("next-ip", "Print the address ipv4=auto (or ipv6=auto) would get now from a pool");
    c.nextIp->add_option("POOL", c.pool, "Pool name (see `zenithctl pools`)")->required();
    c.nextIp->add_flag("-6,--ipv6", c.ipv6, "The next free IPv6 address (the pool's IPv6 subnet)");
    c.bridges = app.add_subcommand("bridges", "List the bridges machines join: state, addresses, ports and their machines");
    return c;
}

std::optional<ExitCode> runPoolCommands(const PoolCommands& c, zenith::client::Client& client, bool asJson,
                                        Output& out)
{
    if (c.pools->parsed()) {
        auto rows = client.pools();
        if (!rows)
            return out.error(rows.error());
        if (asJson) {
            auto doc = json::array();
            for (const auto& p : *rows)
                doc.push_back({{"name", p.name},
                               {"subnet", p.subnet},
                               {"gateway", p.gateway},
                               {"range", p.range},
                               {"dns", p.dns},
                               {"size", p.size},
                               {"leased", p.leased},
                               {"free", p.size > p.leased ? p.size - p.leased : 0}});
            std::cout << doc.dump() << '\n';
        } else {
            std::vector<std::vector<std::string>> cells;
            for (const auto& p : *rows)
                cells.push_back({p.name, p.subnet, p.gateway, p.range, fmt::format("{}/{}", p.leased, p.size)});
            std::cout << formatTable({"NAME", "SUBNET", "GATEWAY", "RANGE", "LEASED"}, cells);
        }
        return ExitCode::Ok;
    }
    if (c.leases->parsed()) {
        auto rows = client.leases(c.pool);
        if (!rows)
            return out.error(rows.error());
        if (asJson) {
            auto doc = json::array();
            for (const auto& l : *rows)
                doc.push_back({{"address", l.address}, {"machine", l.machine}});
            std::cout << doc.dump() << '\n';
        } else {
            std::vector<std::vector<std::string>> cells;
            for (const auto& l : *rows)
                cells.push_back({l.address, l.machine});
            std::cout << formatTable({"ADDRESS", "MACHINE"}, cells);
        }
        return ExitCode::Ok;
    }
    if (c.nextIp->parsed()) {
        auto next = c.ipv6 ? client.nextFreeAddress6(c.pool) : client.nextFreeAddress(c.pool);
        if (!next)
            return out.error(next.error());
        if (asJson)
            std::cout << json{{"pool", c.pool}, {"address", *next}}.dump() << '\n';
        else
            std::cout << *next << '\n';
        return ExitCode::Ok;
    }
    if (c.bridges->parsed()) {
        auto rows = client.bridges();
        if (!rows)
            return out.error(rows.error());
        if (asJson) {
            auto doc = json::array();
            for (const auto& b : *rows) {
                auto ports = json::array();
                for (const auto& p : b.ports)
                    ports.push_back({{"link", p.link}, {"state", p.state}, {"machine", p.machine}});
                doc.push_back({{"name", b.name}, {"state", b.state}, {"addresses", b.addresses}, {"ports", ports}});
            }
            std::cout << doc.dump() << '\n';
        } else {
            // One row per bridge; a port as "vi3 (web, up)", "eth1 (up)".
            auto joined = [](const std::vector<std::string>& items) {
                std::string out;
                for (const auto& i : items)
                    out += (out.empty() ? "" : ", ") + i;
                return out;
            };
            std::vector<std::vector<std::string>> cells;
            for (const auto& b : *rows) {
                std::vector<std::string> ports;
                for (const auto& p : b.ports)
                    ports.push_back(p.machine.empty() ? fmt::format("{} ({})", p.link, p.state)
                                                      : fmt::format("{} ({}, {})", p.link, p.machine, p.state));
                cells.push_back({b.name, b.state, joined(b.addresses), joined(ports)});
            }
            std::cout << formatTable({"BRIDGE", "STATE", "ADDRESSES", "PORTS"}, cells);
        }
        return ExitCode::Ok;
    }
    return std::nullopt;
}

}  // namespace zenithctl
