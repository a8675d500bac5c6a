// The debootstrap command line for a base image. Pure: it takes no secret
// and touches nothing, so its exact argv is unit-tested.
#pragma once

#include <optional>
#include <string>

#include "drivers/process.h"

namespace zenith::drivers::nspawn {

struct DebootstrapRequest {
    std::string release;
    std::string arch;
    std::string target;   // the temp dir the image is built in
    std::string mirror;
    std::optional<std::string> keyring;
    std::optional<std::string> script;  // debootstrap's script, when named (debootstrapScript)
};

// Packages a minbase image needs to boot under systemd-nspawn, to be
// configured (ip) by the backend, and to be a VPS (an SSH server, which
// each machine enables and gets host keys for itself).
inline constexpr const char* kBaseImagePackages = "systemd,dbus,iproute2,openssh-server";

// `debootstrap --variant=minbase --include=... --arch=A [--keyring=K]
//  --debian-installer RELEASE TARGET MIRROR`; --debian-installer makes it
// write its machine-readable progress protocol to fd 3.
Argv debootstrapArgv(const DebootstrapRequest& r);

// A small, fixed environment: no daemon variables leak into the chroot and
// messages stay in the C locale the progress parser expects.
std::vector<std::string> debootstrapEnv();

}  // namespace zenith::drivers::nspawn
