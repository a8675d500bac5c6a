// What the nspawn backend accepts in a machine spec, and the spec with its
// defaults filled in. Pure: no I/O beyond the options given.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "core/spec.h"
#include "drivers/nspawn/distro_catalog.h"
#include "drivers/nspawn/host_listeners.h"
#include "drivers/nspawn/nspawn_options.h"

namespace zenith::drivers::nspawn {

// Keys of other backends (Proxmox, VMs), keys this backend cannot enforce
// yet, a foreign architecture, an unknown distro or release, a network
// setting that needs a bridge without one, a bridge outside Bridge=/Bridges=,
// a host port outside HostPorts= or one the host listens on (`listening`)...:
// InvalidArgs naming the key.
// `runnableForeign`: the architectures besides the host's whose binaries
// the host runs in containers (foreignArchitectures()); another one is
// BackendUnavailable saying what to install.
core::Result<void> validateNspawnSpec(const core::MachineSpec& spec, const NspawnOptions& options,
                                      std::string_view hostArch, const ListeningPorts& listening = {},
                                      const std::vector<std::string>& runnableForeign = {});

// Ubuntu's archives, where UbuntuMirror= / UbuntuPortsMirror= are empty.
inline constexpr std::string_view kUbuntuArchive = "http://archive.ubuntu.com/ubuntu";
inline constexpr std::string_view kUbuntuPortsArchive = "http://ports.ubuntu.com/ubuntu-ports";

// distro/release/arch with defaults (debian, bookworm, the host's arch); an
// Ubuntu version is its code name.
ImageKey imageKeyFor(const core::MachineSpec& spec, std::string_view hostArch);

// The bridge a machine plugs into: the spec's, else the config's ("" none).
std::string effectiveBridge(const core::MachineSpec& spec, const NspawnOptions& options);

// The mirror debootstrap uses for `key`: Debian's from the config or the
// host's apt sources; Ubuntu's from the config or Ubuntu's archive (amd64)
// or ports archive (arm64 and the rest).
core::Result<std::string> mirrorFor(const ImageKey& key, const NspawnOptions& options);

}  // namespace zenith::drivers::nspawn
