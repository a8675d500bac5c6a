#include "tree_search.h"

#include <algorithm>
#include <fstream>
#include <string>

namespace zenith::testsupport {

namespace fs = std::filesystem;

namespace {

// Reads in chunks (a root file system has files of hundreds of MB), keeping
// the end of each chunk so a needle across two chunks is found too.
bool fileContains(const fs::path& file, std::string_view needle)
{
    std::ifstream in(file, std::ios::binary);
    std::string carry, chunk(1 << 20, '\0');
    while (in) {
        in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        const auto n = static_cast<size_t>(in.gcount());
        if (n == 0)
            break;
        std::string window = carry + chunk.substr(0, n);
        if (window.find(needle) != std::string::npos)
            return true;
        const size_t keep = std::min(window.size(), needle.size() > 0 ? needle.size() - 1 : 0);
        carry = window.substr(window.size() - keep);
    }
    return false;
}

}  // namespace

TreeSearch searchTree(const fs::path& root, std::string_view needle, const std::vector<fs::path>& skip)
{
    TreeSearch result;
    std::vector<fs::path> skipped;
    for (const auto& s : skip)
        skipped.push_back((root / s).lexically_normal());
    for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied);
         it != fs::recursive_directory_iterator(); ++it) {
        const fs::path path = it->path().lexically_normal();
        if (std::find(skipped.begin(), skipped.end(), path) != skipped.end()) {
            if (it->is_directory())
                it.disable_recursion_pending();
            continue;
        }
        if (!it->is_regular_file() || it->is_symlink())
            continue;
        result.searched.push_back(path);
        if (fileContains(path, needle))
            result.found.push_back(path);
    }
    return result;
}

}  // namespace zenith::testsupport
