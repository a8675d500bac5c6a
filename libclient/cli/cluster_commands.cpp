#include "cluster_commands.h"

#include <algorithm>
#include <ctime>
#include <map>

#include <fmt/format.h>

#include "sizes.h"
#include "tables.h"

namespace zenithctl {

using nlohmann::json;
using namespace zenith::client;

namespace {

std::string joined(const std::vector<std::string>& items, std::string_view separator)
{
    std::string out;
    for (const auto& s : items)
        out += (out.empty() ? "" : std::string(separator)) + s;
    return out;
}

// "512M/2G (25%)"; "-" when the total is unknown.
std::string usage(uint64_t used, uint64_t total)
{
    if (total == 0)
        return {};
    return fmt::format("{}/{} ({}%)", formatSize(used), formatSize(total), used * 100 / total);
}

// A backup's notes in one table cell: the first line.
std::string firstLine(const std::string& text)
{
    const auto end = text.find_first_of("\r\n");
    return end == std::string::npos ? text : text.substr(0, end) + " ...";
}

template <typename T>
ExitCode print(const Result<T>& rows, bool asJson, Output& out)
{
    if (!rows)
        return out.error(rows.error());
    if (asJson)
        out.out() << toJson(*rows).dump() << '\n';
    else
        out.out() << toText(*rows);
    return ExitCode::Ok;
}

Result<std::vector<ImageOnNodes>> imagesOf(Client& client, const std::string& backend, const std::string& kind)
{
    auto rows = client.images(backend);
    if (!rows)
        return std::unexpected(rows.error());
    return imagesOnNodes(*rows, kind);
}

}  // namespace

void addClusterCommands(CLI::App& app, ClusterCommands& c)
{
    auto backendOption = [&](CLI::App* cmd) {
        cmd->add_option("--backend", c.backend, "Backend: proxmox-lxc or proxmox-qemu (the same clusters)")
            ->capture_default_str();
    };
    c.nodes = app.add_subcommand("nodes", "List the nodes of the Proxmox clusters");
    backendOption(c.nodes);
    c.storages = app.add_subcommand("storages", "List the storages of every node, with their free space");
    backendOption(c.storages);
    c.isos = app.add_subcommand("isos", "List the ISO images of the clusters and the nodes holding them");
    c.templates = app.add_subcommand("templates", "List the container templates (vztmpl) of the clusters");
    c.health = app.add_subcommand("health", "Show a machine's status, uptime, CPU and memory as its cluster saw it");
    c.health->add_option("NAME", c.machine, "Machine name")->required();
    c.backups = app.add_subcommand("backups", "List a machine's backups, newest first");
    c.backups->add_option("NAME", c.machine, "Machine name")->required();
}

std::optional<ExitCode> runClusterCommands(const ClusterCommands& c, Client& client, bool asJson, Output& out)
{
    if (c.nodes->parsed())
        return print(client.nodes(c.backend), asJson, out);
    if (c.storages->parsed())
        return print(client.storages(c.backend), asJson, out);
    if (c.isos->parsed())
        return print(imagesOf(client, "proxmox-qemu", "iso"), asJson, out);
    if (c.templates->parsed())
        return print(imagesOf(client, "proxmox-lxc", "vztmpl"), asJson, out);
    if (c.backups->parsed())
        return print(client.backups(c.machine), asJson, out);
    if (c.health->parsed()) {
        auto h = client.health(c.machine);
        if (!h)
            return out.error(h.error());
        if (asJson) {
            json doc = toJson(*h);
            doc["name"] = c.machine;
            out.out() << doc.dump() << '\n';
        } else {
            out.out() << toText(*h);
        }
        return ExitCode::Ok;
    }
    return std::nullopt;
}

std::vector<ImageOnNodes> imagesOnNodes(const std::vector<ImageInfo>& rows, const std::string& kind)
{
    std::vector<ImageOnNodes> out;
    std::map<std::pair<std::string, std::string>, size_t> index;  // (cluster, id) -> out[i]
    for (const auto& r : rows) {
        if (r.kind != kind)
            continue;
        const auto slash = r.location.rfind('/');
        std::string cluster = slash == std::string::npos ? std::string() : r.location.substr(0, slash);
        std::string node = slash == std::string::npos ? r.location : r.location.substr(slash + 1);
        auto [it, added] = index.try_emplace({cluster, r.id}, out.size());
        if (added)
            out.push_back(ImageOnNodes{r.id, r.kind, cluster, {}, 0});
        auto& image = out[it->second];
        if (!node.empty() && std::find(image.nodes.begin(), image.nodes.end(), node) == image.nodes.end())
            image.nodes.push_back(std::move(node));
        image.size = std::max(image.size, r.size);
    }
    for (auto& image : out)
        std::sort(image.nodes.begin(), image.nodes.end());
    return out;
}

json toJson(const std::vector<NodeInfo>& rows)
{
    json out = json::array();
    for (const auto& n : rows)
        out.push_back({{"cluster", n.cluster},
                       {"node", n.node},
                       {"status", n.status},
                       {"cpus", n.cpus},
                       {"memory_total", n.memoryTotal},
                       {"memory_used", n.memoryUsed},
                       {"uptime", n.uptime}});
    return out;
}

json toJson(const std::vector<StorageInfo>& rows)
{
    json out = json::array();
    for (const auto& s : rows)
        out.push_back({{"cluster", s.cluster},
                       {"node", s.node},
                       {"storage", s.storage},
                       {"type", s.type},
                       {"content", s.content},
                       {"shared", s.shared},
                       {"active", s.active},
                       {"total", s.total},
                       {"avail", s.avail}});
    return out;
}

json toJson(const std::vector<ImageOnNodes>& rows)
{
    json out = json::array();
    for (const auto& i : rows)
        out.push_back({{"id", i.id}, {"kind", i.kind}, {"cluster", i.cluster}, {"nodes", i.nodes}, {"size", i.size}});
    return out;
}

json toJson(const std::vector<BackupInfo>& rows)
{
    json out = json::array();
    for (const auto& b : rows)
        out.push_back({{"volid", b.volid},
                       {"cluster", b.cluster},
                       {"node", b.node},
                       {"storage", b.storage},
                       {"size", b.size},
                       {"ctime", b.ctime},
                       {"notes", b.notes}});
    return out;
}

json toJson(const MachineHealth& h)
{
    return json{{"status", h.status}, {"uptime", h.uptime},          {"cpu", h.cpu},   {"cpus", h.cpus},
                {"memory", h.memory}, {"memory_max", h.memoryMax},   {"lock", h.lock}, {"as_of", h.asOf}};
}

std::string toText(const std::vector<NodeInfo>& rows)
{
    std::vector<std::vector<std::string>> cells;
    for (const auto& n : rows)
        cells.push_back({n.cluster, n.node, n.status, n.cpus ? std::to_string(n.cpus) : "",
                         usage(n.memoryUsed, n.memoryTotal), n.uptime ? formatUptime(n.uptime) : ""});
    return formatTable({"CLUSTER", "NODE", "STATUS", "CPUS", "MEMORY", "UPTIME"}, cells);
}

std::string toText(const std::vector<StorageInfo>& rows)
{
    std::vector<std::vector<std::string>> cells;
    for (const auto& s : rows)
        cells.push_back({s.cluster, s.node, s.storage, s.type, joined(s.content, ","), s.shared ? "yes" : "no",
                         s.active ? "yes" : "no", s.total ? formatSize(s.avail) : "",
                         s.total ? formatSize(s.total) : ""});
    return formatTable({"CLUSTER", "NODE", "STORAGE", "TYPE", "CONTENT", "SHARED", "ACTIVE", "AVAIL", "TOTAL"}, cells);
}

std::string toText(const std::vector<ImageOnNodes>& rows)
{
    std::vector<std::vector<std::string>> cells;
    for (const auto& i : rows)
        cells.push_back({i.id, i.cluster, joined(i.nodes, ","), formatSize(i.size)});
    return formatTable({"ID", "CLUSTER", "NODES", "SIZE"}, cells);
}

std::string toText(const std::vector<BackupInfo>& rows)
{
    std::vector<std::vector<std::string>> cells;
    for (const auto& b : rows)
        cells.push_back({b.volid, b.node, b.storage, formatSize(b.size), formatUnixTime(b.ctime), firstLine(b.notes)});
    return formatTable({"VOLID", "NODE", "STORAGE", "SIZE", "CREATED", "NOTES"}, cells);
}

std::string toText(const MachineHealth& h)
{
    const std::vector<std::pair<std::string, std::string>> fields{
        {"Status", h.status},
        {"Uptime", h.uptime ? formatUptime(h.uptime) : ""},
        {"CPU", h.cpus ? fmt::format("{:.2f} of {} cpus", h.cpu, h.cpus) : ""},
        {"Memory", usage(h.memory, h.memoryMax)},
        {"Lock", h.lock},
        {"AsOf", formatUnixTime(h.asOf)}};
    std::string out;
    for (const auto& [key, value] : fields)
        out += fmt::format("{:>6}: {}\n", key, value.empty() ? "-" : value);
    return out;
}

std::string formatUptime(uint64_t seconds)
{
    const uint64_t days = seconds / 86400, hours = seconds / 3600 % 24, minutes = seconds / 60 % 60,
                   secs = seconds % 60;
    if (days)
        return fmt::format("{}d {}h", days, hours);
    if (hours)
        return fmt::format("{}h {}m", hours, minutes);
    if (minutes)
        return fmt::format("{}m {}s", minutes, secs);
    return fmt::format("{}s", secs);
}

std::string formatUnixTime(uint64_t seconds)
{
    if (seconds == 0)
        return "-";
    const std::time_t t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    if (!::gmtime_r(&t, &tm))
        return std::to_string(seconds);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

}  // namespace zenithctl
