// zenithctl pools | leases POOL | next-ip [-6] POOL: the address pools, as the
// original `cloudpod-next-ip` answered "which address is next"; and
// zenithctl bridges: the bridges the machines join, with their ports.
#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "exit_codes.h"
#include "output.h"
#include "zenith/client/client.h"

namespace zenithctl {

struct PoolCommands {
    CLI::App* pools = nullptr;
    CLI::App* leases = nullptr;
    CLI::App* nextIp = nullptr;
    CLI::App* bridges = nullptr;
    std::string pool;
    bool ipv6 = false;  // next-ip -6
};

PoolCommands addPoolCommands(CLI::App& app);

// The exit code when one of them was given, nullopt otherwise.
std::optional<ExitCode> runPoolCommands(const PoolCommands& c, zenith::client::Client& client, bool asJson,
                                        Output& out);

}  // namespace zenithctl
