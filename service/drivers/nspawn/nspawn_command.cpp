#include "drivers/nspawn/nspawn_command.h"

#include <systemd/sd-daemon.h>

#include <fmt/format.h>

namespace zenith::drivers::nspawn {

Argv nspawnArgv(const RunTarget& t, bool systemdHost)
{
    Argv argv{"systemd-nspawn", "--boot"};
    if (systemdHost) {
        argv.push_back("--register=yes");
    } else {
        argv.insert(argv.end(), {"--keep-unit", "--register=no"});
    }
    argv.insert(argv.end(), {"--quiet", "--directory=" + t.rootfs, "--machine=" + t.name, "--settings=trusted",
                             "--notify-ready=yes", "--link-journal=no", "--console=read-only"});
    if (systemdHost) {
        if (t.cpuQuota > 0)
            argv.push_back(fmt::format("--property=CPUQuota={}%", t.cpuQuota));
        if (t.memoryMax > 0)
            argv.push_back(fmt::format("--property=MemoryMax={}", t.memoryMax));
    }
    return argv;
}

bool hostRunsSystemd()
{
    return sd_booted() > 0;
}

}  // namespace zenith::drivers::nspawn
