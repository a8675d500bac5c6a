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
// Releases debootstrap here can build; empty for an unknown distro.
std::vector<std::string_view> knownReleases(std::string_view distro);
std::string_view defaultRelease(std::string_view distro);  // bookworm | jammy

// uname(2) machine -> Debian architecture ("x86_64" -> "amd64"); nullopt when unknown.
std::optional<std::string> debianArchFromMachine(std::string_view machine);
// This host's Debian architecture (what `dpkg --print-architecture` says).
std::string hostArch();

// debootstrap's --keyring for a distro; Debian's is debootstrap's own default.
std::optional<std::string> archiveKeyring(std::string_view distro);

}  // namespace zenith::drivers::nspawn
