#include "drivers/nspawn/machine_cgroups.h"
#include "drivers/nspawn/host_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

namespace zenith::drivers::nspawn {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr uint64_t kCpuPeriodUsec = 100000;

std::vector<std::string> splitOn(std::string_view s, char sep)
{
    std::vector<std::string> out;
    while (true) {
        auto at = s.find(sep);
        out.emplace_back(s.substr(0, at));
        if (at == std::string_view::npos)
            return out;
        s.remove_prefix(at + 1);
    }
}

core::Result<void> writeValue(const std::string& dir, const char* file, const std::string& value)
{
    const std::string path = dir + "/" + file;
    std::ofstream f(path);
    f << value;
    f.flush();
    if (!f)
        return core::fail(core::ErrorCode::BackendFailed,
                          fmt::format("cannot write {} to {}: {}", value, path, std::strerror(errno)));
    return {};
}

// Controllers of a v1 mount: its super options minus the generic ones.
std::vector<std::string> v1Controllers(std::string_view superOptions)
{
    std::vector<std::string> out;
    for (auto& o : splitOn(superOptions, ','))
        if (o != "rw" && o != "ro" && !o.starts_with("release_agent=") && o != "noprefix" && o != "clone_children" &&
            o != "xattr" && o != "cpuset_v2_mode")
            out.push_back(o);
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

std::vector<CgroupHierarchy> parseCgroupHierarchies(std::string_view procSelfCgroup, std::string_view mountinfo)
{
    struct Mount {
        std::string root, point;
        bool unified;
        std::vector<std::string> controllers;
    };
    std::vector<Mount> mounts;
    std::istringstream mi{std::string(mountinfo)};
    for (std::string line; std::getline(mi, line);) {
        auto dash = line.find(" - ");
        if (dash == std::string::npos)
            continue;
        std::istringstream head(line.substr(0, dash)), tail(line.substr(dash + 3));
        std::string id, parent, devno, root, point, fstype, source, super;
        if (!(head >> id >> parent >> devno >> root >> point) || !(tail >> fstype >> source >> super))
            continue;
        if (fstype == "cgroup2")
            mounts.push_back({root, point, true, {}});
        else if (fstype == "cgroup")
            mounts.push_back({root, point, false, v1Controllers(super)});
    }

    std::vector<CgroupHierarchy> out;
    std::istringstream pc{std::string(procSelfCgroup)};
    for (std::string line; std::getline(pc, line);) {
        auto a = line.find(':'), b = line.find(':', a == std::string::npos ? a : a + 1);
        if (a == std::string::npos || b == std::string::npos)
            continue;
        const std::string controllersText = line.substr(a + 1, b - a - 1);
        const std::string path = line.substr(b + 1);
        const bool unified = line.substr(0, a) == "0" && controllersText.empty();
        auto wanted = splitOn(controllersText, ',');
        std::sort(wanted.begin(), wanted.end());
        for (const auto& m : mounts) {
            if (m.unified != unified || (!unified && m.controllers != wanted))
                continue;
            // The mount shows the hierarchy from `root`: the daemon's cgroup
            // must be inside it to be reachable through this mount.
            std::string own = path;
            if (m.root != "/") {
                if (!(path == m.root || path.starts_with(m.root + "/")))
                    continue;
                own = path.substr(m.root.size());
                if (own.empty())
                    own = "/";
            }
            out.push_back({m.point, own, unified, unified ? std::vector<std::string>{} : m.controllers});
            break;
        }
    }
    return out;
}

MachineCgroups MachineCgroups::forThisProcess()
{
    auto hierarchies = parseCgroupHierarchies(readHostFile("/proc/self/cgroup"), readHostFile("/proc/self/mountinfo"));
    for (auto& h : hierarchies)
        if (h.unified) {
            // v2 limits need the controller enabled for the daemon's children.
            std::istringstream enabled(readHostFile(h.mountPoint + (h.ownPath == "/" ? "" : h.ownPath) + "/cgroup.subtree_control"));
            for (std::string c; enabled >> c;)
                h.controllers.push_back(c);
        }
    return MachineCgroups(std::move(hierarchies));
}

MachineCgroups::MachineCgroups(std::vector<CgroupHierarchy> hierarchies) : hierarchies_(std::move(hierarchies)) {}

const CgroupHierarchy* MachineCgroups::find(std::string_view controller) const
{
    for (const auto& h : hierarchies_)
        if (!h.unified && std::find(h.controllers.begin(), h.controllers.end(), controller) != h.controllers.end())
            return &h;
    return nullptr;
}

const CgroupHierarchy* MachineCgroups::unified() const
{
    for (const auto& h : hierarchies_)
        if (h.unified)
            return &h;
    return nullptr;
}

LimitSupport MachineCgroups::support() const
{
    auto v2 = [&](std::string_view c) {
        const auto* u = unified();
        return u && std::find(u->controllers.begin(), u->controllers.end(), c) != u->controllers.end();
    };
    return {find("cpu") != nullptr || v2("cpu"), find("memory") != nullptr || v2("memory")};
}

std::vector<MachineCgroups::Target> MachineCgroups::targets(const std::string& machine) const
{
    std::vector<Target> out;
    const std::string leaf = "zenith-machine-" + machine;
    std::vector<const CgroupHierarchy*> wanted{unified(), find("name=systemd"), find("cpu"), find("memory"),
                                               find("pids")};
    for (const auto* h : wanted) {
        if (!h || std::any_of(out.begin(), out.end(), [&](const Target& t) { return t.hierarchy == h; }))
            continue;
        out.push_back({h, h->mountPoint + (h->ownPath == "/" ? "" : h->ownPath) + "/" + leaf});
    }
    return out;
}

std::vector<std::string> MachineCgroups::directories(const std::string& machine) const
{
    std::vector<std::string> out;
    for (const auto& t : targets(machine))
        out.push_back(t.dir);
    return out;
}

core::Result<std::vector<std::string>> MachineCgroups::create(const std::string& machine,
                                                              const CgroupLimits& limits) const
{
    auto s = support();
    if (limits.cpuQuota && !s.cpuQuota)
        return core::fail(core::ErrorCode::BackendUnavailable,
                          "cpu_quota: no cpu cgroup controller is available to the daemon on this host");
    if (limits.memoryMax && !s.memoryMax)
        return core::fail(core::ErrorCode::BackendUnavailable,
                          "memory_max: no memory cgroup controller is available to the daemon on this host");
    std::vector<std::string> procs;
    for (const auto& t : targets(machine)) {
        if (::mkdir(t.dir.c_str(), 0755) != 0 && errno != EEXIST)
            return core::fail(core::ErrorCode::BackendFailed,
                              fmt::format("cannot create cgroup {}: {}", t.dir, std::strerror(errno)));
        procs.push_back(t.dir + "/cgroup.procs");
    }
    // Limits are written every time: a leftover directory may carry old ones.
    const std::string quota = limits.cpuQuota ? std::to_string(uint64_t{limits.cpuQuota} * kCpuPeriodUsec / 100) : "";
    for (const auto& t : targets(machine)) {
        const auto& c = t.hierarchy->controllers;
        auto has = [&](const char* name) { return std::find(c.begin(), c.end(), name) != c.end(); };
        core::Result<void> r;
        if (!t.hierarchy->unified && has("cpu")) {
            r = writeValue(t.dir, "cpu.cfs_period_us", std::to_string(kCpuPeriodUsec));
            if (r)
                r = writeValue(t.dir, "cpu.cfs_quota_us", quota.empty() ? "-1" : quota);
        } else if (t.hierarchy->unified && has("cpu") && !find("cpu")) {
            r = writeValue(t.dir, "cpu.max", fmt::format("{} {}", quota.empty() ? "max" : quota, kCpuPeriodUsec));
        }
        if (r && !t.hierarchy->unified && has("memory"))
            r = writeValue(t.dir, "memory.limit_in_bytes",
                           limits.memoryMax ? std::to_string(limits.memoryMax) : std::string("-1"));
        else if (r && t.hierarchy->unified && has("memory") && !find("memory"))
            r = writeValue(t.dir, "memory.max", limits.memoryMax ? std::to_string(limits.memoryMax) : "max");
        if (!r) {
            (void)remove(machine);
            return std::unexpected(r.error());
        }
    }
    return procs;
}

core::Result<void> MachineCgroups::remove(const std::string& machine) const
{
    for (const auto& t : targets(machine)) {
        std::error_code ec;
        if (!fs::exists(t.dir, ec))
            continue;
        std::vector<fs::path> dirs;
        for (fs::recursive_directory_iterator it(t.dir, ec), end; !ec && it != end; it.increment(ec))
            if (it->is_directory(ec) && !it->is_symlink(ec))
                dirs.push_back(it->path());
        std::sort(dirs.begin(), dirs.end(), [](const fs::path& a, const fs::path& b) {
            return std::distance(a.begin(), a.end()) > std::distance(b.begin(), b.end());
        });
        dirs.push_back(t.dir);
        for (const auto& d : dirs) {
            // The last processes of a stopped container may take a moment
            // to leave their cgroup.
            int tries = 0;
            while (::rmdir(d.c_str()) != 0 && errno == EBUSY && ++tries < 40)
                std::this_thread::sleep_for(50ms);
            if (::access(d.c_str(), F_OK) == 0)
                return core::fail(core::ErrorCode::BackendFailed,
                                  fmt::format("cannot remove cgroup {}: {}", d.string(), std::strerror(errno)));
        }
    }
    return {};
}

}  // namespace zenith::drivers::nspawn
