#include "support/proc_status.h"

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace zenith::bench {

MemoryStatus readMemoryStatus(pid_t pid)
{
    std::ifstream f(fmt::format("/proc/{}/status", pid));
    if (!f)
        throw std::runtime_error(fmt::format("no process {}", pid));
    MemoryStatus m;
    for (std::string line; std::getline(f, line);) {
        std::istringstream in(line);
        std::string key;
        uint64_t kb = 0;
        in >> key >> kb;
        if (key == "VmRSS:")
            m.rssKb = kb;
        else if (key == "VmHWM:")
            m.hwmKb = kb;
    }
    return m;
}

}  // namespace zenith::bench
