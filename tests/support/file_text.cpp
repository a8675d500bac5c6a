#include "file_text.h"

#include <fstream>
#include <sstream>

namespace zenith::testsupport {

std::string readText(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace zenith::testsupport
