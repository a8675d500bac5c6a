// zenithctl nodes | storages | isos | templates | health NAME | backups NAME:
// what a Proxmox cluster holds besides the machines, for an admin at a
// terminal (tables) and for a panel (--json: one document). `backup` itself
// is a job and runs like the other job commands (app.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "exit_codes.h"
#include "output.h"
#include "zenith/client/client.h"

namespace zenithctl {

inline constexpr const char* kClusterBackend = "proxmox-lxc";

struct ClusterCommands {
    CLI::App* nodes = nullptr;
    CLI::App* storages = nullptr;
    CLI::App* isos = nullptr;
    CLI::App* templates = nullptr;
    CLI::App* health = nullptr;
    CLI::App* backups = nullptr;
    std::string backend = kClusterBackend;
    std::string machine;
};

// Registers the commands on `app`; the options bind to `c`, which must
// outlive the parse.
void addClusterCommands(CLI::App& app, ClusterCommands& c);

// The exit code when one of them was given, nullopt otherwise.
std::optional<ExitCode> runClusterCommands(const ClusterCommands& c, zenith::client::Client& client, bool asJson,
                                           Output& out);

// One image file of a cluster with the nodes that hold it (ListImages rows
// of one id and cluster, their location being "cluster/node").
struct ImageOnNodes {
    std::string id, kind, cluster;
    std::vector<std::string> nodes;
    uint64_t size = 0;  // the largest copy
};
std::vector<ImageOnNodes> imagesOnNodes(const std::vector<zenith::client::ImageInfo>& rows, const std::string& kind);

// What the commands print: the --json document, or the table (health: one
// "Key: value" line each).
nlohmann::json toJson(const std::vector<zenith::client::NodeInfo>& rows);
nlohmann::json toJson(const std::vector<zenith::client::StorageInfo>& rows);
nlohmann::json toJson(const std::vector<ImageOnNodes>& rows);
nlohmann::json toJson(const std::vector<zenith::client::BackupInfo>& rows);
nlohmann::json toJson(const zenith::client::MachineHealth& h);
std::string toText(const std::vector<zenith::client::NodeInfo>& rows);
std::string toText(const std::vector<zenith::client::StorageInfo>& rows);
std::string toText(const std::vector<ImageOnNodes>& rows);
std::string toText(const std::vector<zenith::client::BackupInfo>& rows);
std::string toText(const zenith::client::MachineHealth& h);

// "3d 4h", "5h 12m", "7m 3s", "42s".
std::string formatUptime(uint64_t seconds);
// Unix time as "2025-06-01 12:00:00 UTC" ("-" for 0).
std::string formatUnixTime(uint64_t seconds);

}  // namespace zenithctl
