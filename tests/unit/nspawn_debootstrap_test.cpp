#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "drivers/nspawn/debootstrap_command.h"
#include "drivers/nspawn/debootstrap_progress.h"
#include "drivers/nspawn/distro_catalog.h"
#include "drivers/nspawn/nspawn_spec.h"

using namespace zenith::drivers;
using namespace zenith::drivers::nspawn;

namespace {

std::vector<std::string> fixture(const std::string& name)
{
    std::ifstream f(std::string(ZENITH_UNIT_TEST_DIR) + "/data/" + name);
    EXPECT_TRUE(f) << name;
    std::vector<std::string> lines;
    for (std::string l; std::getline(f, l);)
        lines.push_back(l);
    return lines;
}

}  // namespace

TEST(NspawnDebootstrapCommand, ExactArgv)
{
    Argv expected{"debootstrap", "--variant=minbase", "--include=systemd,dbus,iproute2,openssh-server", "--arch=amd64",
                  "--debian-installer", "bookworm", "/var/lib/zenith/images/.tmp-debian-bookworm-amd64-1",
                  "http://deb.debian.org/debian"};
    EXPECT_EQ(debootstrapArgv({"bookworm", "amd64", "/var/lib/zenith/images/.tmp-debian-bookworm-amd64-1",
                               "http://deb.debian.org/debian", std::nullopt}),
              expected);
}

TEST(NspawnDebootstrapCommand, KeyringGoesBeforeThePositionals)
{
    Argv expected{"debootstrap", "--variant=minbase", "--include=systemd,dbus,iproute2,openssh-server", "--arch=arm64",
                  "--keyring=/usr/share/keyrings/ubuntu-archive-keyring.gpg", "--debian-installer", "jammy", "/t",
                  "http://ports.example/ubuntu-ports"};
    EXPECT_EQ(debootstrapArgv({"jammy", "arm64", "/t", "http://ports.example/ubuntu-ports",
                               "/usr/share/keyrings/ubuntu-archive-keyring.gpg"}),
              expected);
}

// Every distro, release and architecture as the backend builds it: the
// keyring always named, Ubuntu's one script named after the mirror (Debian
// 12's debootstrap has none for noble), the ports archive for arm64.
TEST(NspawnDebootstrapCommand, EveryDistroReleaseAndArchitecture)
{
    auto argvFor = [](std::string distro, std::string release, std::string arch) {
        ImageKey key{distro, canonicalRelease(distro, release), arch};
        NspawnOptions o;
        o.debianMirror = "http://deb.example/debian";
        std::string mirror = distro == "debian" ? o.debianMirror : mirrorFor(key, o).value_or("?");
        return debootstrapArgv({key.release, key.arch, "/t", mirror, archiveKeyring(distro).path,
                                debootstrapScript(distro)});
    };
    const std::string include = "--include=systemd,dbus,iproute2,openssh-server";
    for (auto release : {"bookworm", "bullseye", "trixie", "sid"})
        for (auto arch : {"amd64", "arm64"})
            EXPECT_EQ(argvFor("debian", release, arch),
                      (Argv{"debootstrap", "--variant=minbase", include, std::string("--arch=") + arch,
                            "--keyring=/usr/share/keyrings/debian-archive-keyring.gpg", "--debian-installer", release,
                            "/t", "http://deb.example/debian"}));
    const std::vector<std::pair<std::string, std::string>> ubuntu{
        {"24.04", "noble"}, {"noble", "noble"}, {"22.04", "jammy"}, {"jammy", "jammy"}, {"20.04", "focal"},
        {"focal", "focal"}};
    for (const auto& [asked, codename] : ubuntu) {
        EXPECT_EQ(argvFor("ubuntu", asked, "amd64"),
                  (Argv{"debootstrap", "--variant=minbase", include, "--arch=amd64",
                        "--keyring=/usr/share/keyrings/ubuntu-archive-keyring.gpg", "--debian-installer", codename,
                        "/t", "http://archive.ubuntu.com/ubuntu", "/usr/share/debootstrap/scripts/gutsy"}));
        EXPECT_EQ(argvFor("ubuntu", asked, "arm64"),
                  (Argv{"debootstrap", "--variant=minbase", include, "--arch=arm64",
                        "--keyring=/usr/share/keyrings/ubuntu-archive-keyring.gpg", "--debian-installer", codename,
                        "/t", "http://ports.ubuntu.com/ubuntu-ports", "/usr/share/debootstrap/scripts/gutsy"}));
    }
}

TEST(NspawnDebootstrapCommand, EnvironmentIsFixed)
{
    auto env = debootstrapEnv();
    EXPECT_NE(std::find(env.begin(), env.end(), "LC_ALL=C"), env.end());
    for (const auto& e : env)
        EXPECT_FALSE(e.starts_with("NOTIFY_SOCKET") || e.starts_with("DBUS")) << e;
}

TEST(NspawnDebootstrapProgress, InstallerProtocolFixtureIsMonotonicAndReachesOne)
{
    auto lines = fixture("debootstrap-bookworm-installer-fd3.txt");
    ASSERT_GT(lines.size(), 1000u);
    DebootstrapProgress p;
    double last = 0;
    int changes = 0;
    std::vector<std::string> phases;
    for (const auto& l : lines) {
        if (p.feed(l))
            ++changes;
        ASSERT_GE(p.fraction(), last) << "went back at: " << l;
        if (!p.succeeded()) {
            ASSERT_LT(p.fraction(), 1.0) << "complete before BASESUCCESS at: " << l;
        }
        last = p.fraction();
        if (phases.empty() || phases.back() != p.phase())
            if (!p.phase().empty())
                phases.push_back(p.phase());
    }
    EXPECT_TRUE(p.succeeded());
    EXPECT_DOUBLE_EQ(p.fraction(), 1.0);
    EXPECT_GT(changes, 200);  // fine-grained, not a jump from 0 to 1
    EXPECT_EQ(phases, (std::vector<std::string>{"DOWNREL", "DOWNRELSIG", "DOWNPKGS", "SIZEDEBS", "DOWNDEBS",
                                                "EXTRACTPKGS", "INSTCORE", "UNPACKREQ", "CONFREQ", "UNPACKBASE",
                                                "CONFBASE"}));
    EXPECT_EQ(p.message(), "Base system installed successfully.");
    EXPECT_EQ(p.lastError(), "");
}

TEST(NspawnDebootstrapProgress, InstallerProtocolHalfwayIsInTheMiddle)
{
    auto lines = fixture("debootstrap-bookworm-installer-fd3.txt");
    DebootstrapProgress p;
    for (const auto& l : lines) {
        p.feed(l);
        if (p.phase() == "UNPACKREQ")
            break;
    }
    EXPECT_GT(p.fraction(), 0.3);
    EXPECT_LT(p.fraction(), 0.7);
}

TEST(NspawnDebootstrapProgress, MessagesComeFromTheInfoRecords)
{
    DebootstrapProgress p;
    p.feed("P: 10 100 DOWNDEBS");
    p.feed("PF: Downloading packages");
    EXPECT_EQ(p.message(), "Downloading packages");
    p.feed("I: RETRIEVING");
    p.feed("IA: libc6");
    p.feed("IA: 2.36-9+deb12u10");
    EXPECT_TRUE(p.feed("IF: Retrieving %s %s"));
    EXPECT_EQ(p.message(), "Retrieving libc6 2.36-9+deb12u10");
    EXPECT_EQ(p.phase(), "DOWNDEBS");
}

TEST(NspawnDebootstrapProgress, OvershootAndBackstepsDoNotMoveBackwards)
{
    DebootstrapProgress p;
    p.feed("P: 34 33 CONFBASE");
    double high = p.fraction();
    EXPECT_LT(high, 1.0);
    p.feed("P: 10 33 CONFBASE");
    EXPECT_DOUBLE_EQ(p.fraction(), high);
    p.feed("P: 0 100 DOWNREL");  // an earlier phase: ignored for the fraction
    EXPECT_DOUBLE_EQ(p.fraction(), high);
    p.feed("P: garbage");
    EXPECT_DOUBLE_EQ(p.fraction(), high);
}

TEST(NspawnDebootstrapProgress, ErrorsAreKeptForTheJobMessage)
{
    DebootstrapProgress p;
    p.feed("E: COULDNTDL");
    p.feed("EA: libc6");
    p.feed("EF: Couldn't download package %s");
    EXPECT_EQ(p.lastError(), "Couldn't download package libc6");
    EXPECT_FALSE(p.succeeded());

    DebootstrapProgress plain;
    plain.feed("E: Failed getting release file http://x/dists/bookworm/Release");
    EXPECT_EQ(plain.lastError(), "Failed getting release file http://x/dists/bookworm/Release");
}

TEST(NspawnDebootstrapProgress, PlainOutputFixtureIsUnderstoodToo)
{
    auto lines = fixture("debootstrap-bookworm-plain.txt");
    ASSERT_GT(lines.size(), 100u);
    DebootstrapProgress p;
    double last = 0;
    bool sawMiddle = false;
    for (const auto& l : lines) {
        p.feed(l);
        ASSERT_GE(p.fraction(), last) << l;
        last = p.fraction();
        if (p.fraction() > 0.3 && p.fraction() < 0.8)
            sawMiddle = true;
    }
    EXPECT_TRUE(sawMiddle);
    EXPECT_TRUE(p.succeeded());
    EXPECT_DOUBLE_EQ(p.fraction(), 1.0);
}

TEST(NspawnDebootstrapProgress, FormatFillsPlaceholdersInOrder)
{
    EXPECT_EQ(renderDebootstrapFormat("Retrieving %s %s", {"Packages", ""}), "Retrieving Packages");
    EXPECT_EQ(renderDebootstrapFormat("100%% of %s", {"x"}), "100% of x");
    EXPECT_EQ(renderDebootstrapFormat("%s and %s", {"one"}), "one and");
}
