#include "drivers/nspawn/mount_table.h"

#include <sys/mount.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace zenith::drivers::nspawn {

namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescapeMountPath(std::string_view field)
{
    std::string out;
    for (size_t i = 0; i < field.size(); ++i) {
        if (field[i] == '\\' && i + 3 < field.size() &&
            std::all_of(field.begin() + i + 1, field.begin() + i + 4, [](char c) { return c >= '0' && c <= '7'; })) {
            out += char((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0'));
            i += 3;
        } else {
            out += field[i];
        }
    }
    return out;
}

}  // namespace

std::vector<std::string> mountPointsBelow(std::string_view mountinfo, const std::string& dir)
{
    std::string base = dir;
    while (base.size() > 1 && base.back() == '/')
        base.pop_back();
    std::vector<std::string> out;
    std::istringstream lines{std::string(mountinfo)};
    for (std::string line; std::getline(lines, line);) {
        // ID PARENT MAJOR:MINOR ROOT MOUNT-POINT ...
        std::istringstream fields(line);
        std::string id, parent, device, root, point;
        if (!(fields >> id >> parent >> device >> root >> point))
            continue;
        std::string path = unescapeMountPath(point);
        if (path == base || base == "/" || path.starts_with(base + "/"))
            out.push_back(std::move(path));
    }
    // Deeper paths are longer: a child mount before its parent.
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

core::Result<void> unmountBelow(const std::string& dir)
{
    std::ifstream in("/proc/self/mountinfo");
    std::stringstream text;
    text << in.rdbuf();
    if (!in && !in.eof())
        return core::fail(core::ErrorCode::BackendFailed, "cannot read /proc/self/mountinfo");
    for (const auto& point : mountPointsBelow(text.str(), dir)) {
        // EINVAL: no longer a mount point (a parent's detach took it along).
        if (::umount2(point.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
            return core::fail(core::ErrorCode::BackendFailed,
                              fmt::format("cannot unmount {}: {}", point, std::strerror(errno)));
    }
    return {};
}

}  // namespace zenith::drivers::nspawn
