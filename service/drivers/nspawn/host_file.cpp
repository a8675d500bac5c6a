#include "drivers/nspawn/host_file.h"

#include <fstream>
#include <sstream>

namespace zenith::drivers::nspawn {

std::string readHostFile(const std::filesystem::path& path)
{
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

}  // namespace zenith::drivers::nspawn
