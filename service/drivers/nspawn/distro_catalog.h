// The distributions, releases and architectures the nspawn backend builds
// base images for, and how an image is named.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zenith::drivers::nspawn {

inline constexpr std::string_view kDefaultDistro = "debian";

struct ImageKey {
    std::string distro, release, arch;
    // "debian-bookworm-amd64": the cached base image's directory name.
    std::string id() const { return distro + "-" + release + "-" + arch; }
};

std::vector<std::string_view> knownDistros();
// Code names of the releases the backend builds (Debian bookworm, bullseye,
// trixie, sid; Ubuntu noble, jammy, focal); empty for an unknown distro.
std::vector<std::string_view> knownReleases(std::string_view distro);
// An Ubuntu version ("24.04") as its code name ("noble"); anything else as given.
std::string canonicalRelease(std::string_view distro, std::string_view release);
std::string_view defaultRelease(std::string_view distro);  // bookworm | noble

inline constexpr std::string_view kDebootstrapScripts = "/usr/share/debootstrap/scripts";
// The script debootstrap runs when it is named explicitly (Ubuntu: one
// script for all releases); nullopt: debootstrap's own for the release.
std::optional<std::string> debootstrapScript(std::string_view distro);

// uname(2) machine -> Debian architecture ("x86_64" -> "amd64"); nullopt when unknown.
std::optional<std::string> debianArchFromMachine(std::string_view machine);
// This host's Debian architecture (what `dpkg --print-architecture` says).
std::string hostArch();

struct ArchiveKeyring {
    std::string path;     // debootstrap --keyring
    std::string package;  // the Debian package that installs it
};
// The keyring a distro's archive is verified with.
ArchiveKeyring archiveKeyring(std::string_view distro);

// Whether a /proc/sys/fs/binfmt_misc entry runs foreign binaries in a
// container (enabled, with the F flag qemu-user-static sets).
bool binfmtRunsInContainers(std::string_view entry);
// The binfmt_misc entry qemu-user-static registers for a Debian
// architecture ("arm64" -> "qemu-aarch64"); nullopt for one it has none for.
std::optional<std::string_view> qemuBinfmtName(std::string_view arch);
// The architectures besides `host` whose binaries this host runs in
// containers (binfmt_misc entries under `binfmtDir`).
std::vector<std::string> foreignArchitectures(std::string_view host,
                                              const std::string& binfmtDir = "/proc/sys/fs/binfmt_misc");

}  // namespace zenith::drivers::nspawn
