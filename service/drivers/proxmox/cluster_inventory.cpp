#include "drivers/proxmox/cluster_inventory.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/text_quote.h"

namespace zenith::drivers::proxmox {

namespace {

using nlohmann::json;

// Guest names and notes are a tenant's or an admin's text: kept short and
// single-line, valid UTF-8.
constexpr size_t kMaxNameBytes = 128;

std::string text(const json& o, const char* key, size_t max = kMaxNameBytes)
{
    auto it = o.find(key);
    if (it == o.end() || !it->is_string())
        return {};
    return core::toSingleLine(it->get<std::string>(), max);
}

// Numbers arrive as JSON numbers, or as strings from older servers.
uint64_t number(const json& o, const char* key)
{
    auto it = o.find(key);
    if (it == o.end())
        return 0;
    if (it->is_number_unsigned())
        return it->get<uint64_t>();
    if (it->is_number_integer())
        return it->get<int64_t>() < 0 ? 0 : static_cast<uint64_t>(it->get<int64_t>());
    if (it->is_number_float()) {
        // Beyond uint64_t the cast would be undefined: a server's nonsense.
        const double d = it->get<double>();
        return d < 0 || !(d < 18446744073709549568.0) ? 0 : static_cast<uint64_t>(d);
    }
    if (it->is_string()) {
        const auto& s = it->get_ref<const std::string&>();
        if (s.empty() || s.size() > 19 || s.find_first_not_of("0123456789") != std::string::npos)
            return 0;
        return std::stoull(s);
    }
    return 0;
}

bool flag(const json& o, const char* key)
{
    auto it = o.find(key);
    if (it == o.end())
        return false;
    if (it->is_boolean())
        return it->get<bool>();
    if (it->is_string())
        return it->get<std::string>() == "1";
    return number(o, key) != 0;
}

std::vector<std::string> splitContent(const std::string& s)
{
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= s.size()) {
        size_t end = s.find(',', start);
        if (end == std::string::npos)
            end = s.size();
        if (end > start)
            out.push_back(s.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

bool isLabel(const std::string& s)
{
    return !s.empty() && s.size() <= 63 &&
           s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == std::string::npos;
}

}  // namespace

bool StorageInfo::holds(std::string_view what) const
{
    return std::find(content.begin(), content.end(), what) != content.end();
}

core::Result<ClusterResources> parseClusterResources(const json& data)
{
    if (!data.is_array())
        return core::fail(core::ErrorCode::BackendFailed, "GET /cluster/resources: the answer is not a list");
    ClusterResources r;
    for (const auto& e : data) {
        if (!e.is_object())
            continue;
        const std::string type = text(e, "type", 16);
        const std::string node = text(e, "node", 64);
        if (!isLabel(node))
            continue;
        if (type == "lxc" || type == "qemu") {
            ClusterGuest g;
            g.type = type;
            const uint64_t vmid = number(e, "vmid");
            if (vmid < 100 || vmid > 999999999)
                continue;
            g.vmid = static_cast<uint32_t>(vmid);
            g.node = node;
            g.name = text(e, "name");
            g.status = text(e, "status", 32);
            g.isTemplate = flag(e, "template");
            g.lock = text(e, "lock", 32);
            g.cpus = static_cast<uint32_t>(std::min<uint64_t>(number(e, "maxcpu"), 1u << 16));
            g.maxmem = number(e, "maxmem");
            g.mem = number(e, "mem");
            g.maxdisk = number(e, "maxdisk");
            g.uptime = number(e, "uptime");
            if (auto it = e.find("cpu"); it != e.end() && it->is_number())
                g.cpu = std::max(0.0, it->get<double>());
            r.guests.push_back(std::move(g));
        } else if (type == "node") {
            ClusterNode n;
            n.node = node;
            n.status = text(e, "status", 32);
            n.maxcpu = static_cast<uint32_t>(std::min<uint64_t>(number(e, "maxcpu"), 1u << 16));
            n.maxmem = number(e, "maxmem");
            n.mem = number(e, "mem");
            n.uptime = number(e, "uptime");
            r.nodes.push_back(std::move(n));
        } else if (type == "storage") {
            StorageInfo s;
            s.node = node;
            s.storage = text(e, "storage", 64);
            if (!isLabel(s.storage))
                continue;
            s.type = text(e, "plugintype", 32);
            s.content = splitContent(text(e, "content", 256));
            s.shared = flag(e, "shared");
            s.active = text(e, "status", 32) == "available";
            s.total = number(e, "maxdisk");
            const uint64_t used = number(e, "disk");
            s.avail = s.total > used ? s.total - used : 0;
            r.storages.push_back(std::move(s));
        }
    }
    auto byId = [](const auto& a, const auto& b) { return a.vmid < b.vmid; };
    std::sort(r.guests.begin(), r.guests.end(), byId);
    std::sort(r.nodes.begin(), r.nodes.end(), [](const auto& a, const auto& b) { return a.node < b.node; });
    return r;
}

core::Result<std::vector<StorageVolume>> parseStorageContent(const json& data, const std::string& node,
                                                             const std::string& storage)
{
    if (!data.is_array())
        return core::fail(core::ErrorCode::BackendFailed,
                          "GET /nodes/" + node + "/storage/" + storage + "/content: the answer is not a list");
    std::vector<StorageVolume> out;
    for (const auto& e : data) {
        if (!e.is_object())
            continue;
        StorageVolume v;
        v.node = node;
        v.storage = storage;
        v.volid = text(e, "volid", 256);
        v.content = text(e, "content", 16);
        // A volid is "storage:path"; anything else is not one we can use.
        if (!v.volid.starts_with(storage + ":"))
            continue;
        v.size = number(e, "size");
        v.ctime = number(e, "ctime");
        v.vmid = static_cast<uint32_t>(std::min<uint64_t>(number(e, "vmid"), 999999999));
        v.notes = text(e, "notes", 256);
        out.push_back(std::move(v));
    }
    return out;
}

const ClusterGuest* findGuest(const std::vector<ClusterGuest>& guests, uint32_t vmid)
{
    for (const auto& g : guests)
        if (g.vmid == vmid)
            return &g;
    return nullptr;
}

}  // namespace zenith::drivers::proxmox
