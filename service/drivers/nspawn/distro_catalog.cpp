#include "drivers/nspawn/distro_catalog.h"

#include <sys/utsname.h>

#include <fstream>
#include <sstream>

namespace zenith::drivers::nspawn {

std::vector<std::string_view> knownDistros()
{
    return {"debian", "ubuntu"};
}

namespace {

struct UbuntuRelease {
    std::string_view version, codename;
};
// The LTS releases, newest first.
constexpr UbuntuRelease kUbuntuReleases[] = {{"24.04", "noble"}, {"22.04", "jammy"}, {"20.04", "focal"}};

}  // namespace

std::vector<std::string_view> knownReleases(std::string_view distro)
{
    if (distro == "debian")
        return {"bookworm", "bullseye", "trixie", "sid"};
    if (distro == "ubuntu") {
        std::vector<std::string_view> out;
        for (const auto& r : kUbuntuReleases)
            out.push_back(r.codename);
        return out;
    }
    return {};
}

std::string canonicalRelease(std::string_view distro, std::string_view release)
{
    if (distro == "ubuntu")
        for (const auto& r : kUbuntuReleases)
            if (release == r.version)
                return std::string(r.codename);
    return std::string(release);
}

std::string_view defaultRelease(std::string_view distro)
{
    return distro == "ubuntu" ? kUbuntuReleases[0].codename : "bookworm";
}

std::optional<std::string> debootstrapScript(std::string_view distro)
{
    // Every Ubuntu release since 7.10 bootstraps with the same script
    // (debootstrap's own scripts for them are links to it); naming it lets
    // Debian 12's debootstrap, which predates noble, build noble.
    if (distro == "ubuntu")
        return std::string(kDebootstrapScripts) + "/gutsy";
    return std::nullopt;
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

ArchiveKeyring archiveKeyring(std::string_view distro)
{
    // Always named and checked before debootstrap runs: without a keyring
    // debootstrap would skip the signature check with a warning. Ubuntu's
    // is not installed on Debian by default.
    if (distro == "ubuntu")
        return {"/usr/share/keyrings/ubuntu-archive-keyring.gpg", "ubuntu-keyring"};
    return {"/usr/share/keyrings/debian-archive-keyring.gpg", "debian-archive-keyring"};
}

bool binfmtRunsInContainers(std::string_view entry)
{
    // /proc/sys/fs/binfmt_misc/<name>: "enabled", "interpreter ...",
    // "flags: OCF", ... F (fix binary): the kernel opened the interpreter
    // when it was registered, so it runs inside a container's tree too.
    bool enabled = false, fixBinary = false;
    size_t pos = 0;
    while (pos < entry.size()) {
        size_t end = entry.find('\n', pos);
        std::string_view line = entry.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
        if (line == "enabled")
            enabled = true;
        else if (line.starts_with("flags: "))
            fixBinary = line.substr(7).find('F') != std::string_view::npos;
        if (end == std::string_view::npos)
            break;
        pos = end + 1;
    }
    return enabled && fixBinary;
}

std::vector<std::string> foreignArchitectures(std::string_view host, const std::string& binfmtDir)
{
    std::vector<std::string> out;
    for (std::string_view arch : {"amd64", "arm64"}) {
        if (arch == host)
            continue;
        std::ifstream in(binfmtDir + "/" + std::string(*qemuBinfmtName(arch)));
        std::stringstream text;
        text << in.rdbuf();
        if (in && binfmtRunsInContainers(text.str()))
            out.emplace_back(arch);
    }
    return out;
}

std::optional<std::string_view> qemuBinfmtName(std::string_view arch)
{
    if (arch == "arm64")
        return "qemu-aarch64";
    if (arch == "amd64")
        return "qemu-x86_64";
    return std::nullopt;
}

}  // namespace zenith::drivers::nspawn
