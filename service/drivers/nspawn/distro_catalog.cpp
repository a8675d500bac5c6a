#include "drivers/nspawn/distro_catalog.h"

#include <sys/utsname.h>

namespace zenith::drivers::nspawn {

std::vector<std::string_view> knownDistros()
{
    return {"debian", "ubuntu"};
}

std::vector<std::string_view> knownReleases(std::string_view distro)
{
    // Only what this host's debootstrap has scripts and keyrings for.
    if (distro == "debian")
        return {"bookworm", "bullseye", "trixie"};
    if (distro == "ubuntu")
        return {"jammy", "focal"};
    return {};
}

std::string_view defaultRelease(std::string_view distro)
{
    return distro == "ubuntu" ? "jammy" : "bookworm";
}

std::optional<std::string> debianArchFromMachine(std::string_view m)
{
    if (m == "x86_64")
        return "amd64";
    if (m == "aarch64" || m == "arm64")
        return "arm64";
    if (m == "i686" || m == "i586" || m == "i386")
        return "i386";
    if (m == "ppc64le")
        return "ppc64el";
    if (m == "s390x")
        return "s390x";
    if (m == "riscv64")
        return "riscv64";
    return std::nullopt;
}

std::string hostArch()
{
    utsname u{};
    if (::uname(&u) != 0)
        return "unknown";
    return debianArchFromMachine(u.machine).value_or(u.machine);
}

std::optional<std::string> archiveKeyring(std::string_view distro)
{
    // Ubuntu's keyring is not installed on Debian by default; without it
    // debootstrap would silently skip the signature check, so it is explicit.
    if (distro == "ubuntu")
        return "/usr/share/keyrings/ubuntu-archive-keyring.gpg";
    return std::nullopt;
}

}  // namespace zenith::drivers::nspawn
