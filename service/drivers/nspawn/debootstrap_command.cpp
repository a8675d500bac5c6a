#include "drivers/nspawn/debootstrap_command.h"

namespace zenith::drivers::nspawn {

Argv debootstrapArgv(const DebootstrapRequest& r)
{
    Argv argv{"debootstrap", "--variant=minbase", std::string("--include=") + kBaseImagePackages,
              "--arch=" + r.arch};
    if (r.keyring)
        argv.push_back("--keyring=" + *r.keyring);
    argv.insert(argv.end(), {"--debian-installer", r.release, r.target, r.mirror});
    if (r.script)
        argv.push_back(*r.script);
    return argv;
}

std::vector<std::string> debootstrapEnv()
{
    return {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "DEBIAN_FRONTEND=noninteractive", "HOME=/root"};
}

}  // namespace zenith::drivers::nspawn
