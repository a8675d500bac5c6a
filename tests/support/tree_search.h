// Looking for a string (a secret that must not be there) in every file of a
// tree, not only the top level: the registry's WAL, run/ and templates/ are
// where a leak would hide.
#pragma once

#include <filesystem>
#include <string_view>
#include <vector>

namespace zenith::testsupport {

struct TreeSearch {
    std::vector<std::filesystem::path> found;     // files that contain the needle
    std::vector<std::filesystem::path> searched;  // every file read, so a test can check its scope
};

// Every regular file below `root`, read in full, symlinks not followed
// (sockets, fifos and devices hold no data of their own). Trees named in
// `skip` (paths below `root`) are left out; say why where you skip one.
TreeSearch searchTree(const std::filesystem::path& root, std::string_view needle,
                      const std::vector<std::filesystem::path>& skip = {});

}  // namespace zenith::testsupport
