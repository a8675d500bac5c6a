// Reading a small text file of the host's own (/proc, /sys/fs/cgroup,
// /etc/passwd, apt sources, our run dir): whole, "" when it is missing or
// unreadable. Never for a file inside a machine tree: those go through
// rootfs_files.h, which trusts nothing there.
#pragma once

#include <filesystem>
#include <string>

namespace zenith::drivers::nspawn {

std::string readHostFile(const std::filesystem::path& path);

}  // namespace zenith::drivers::nspawn
