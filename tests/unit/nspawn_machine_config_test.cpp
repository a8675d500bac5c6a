#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "file_text.h"  // tests/support

#include "drivers/nspawn/machine_config.h"
#include "drivers/nspawn/root_password.h"

using namespace zenith::drivers::nspawn;
namespace fs = std::filesystem;
using zenith::testsupport::readText;

namespace {

mode_t modeOf(const fs::path& p)
{
    struct stat st {};
    ::lstat(p.c_str(), &st);
    return st.st_mode & 07777;
}

class NspawnMachineConfig : public ::testing::Test {
protected:
    void SetUp() override
    {
        char tmpl[] = "/tmp/zenith-config-test-XXXXXX";
        root_ = ::mkdtemp(tmpl);
        fs::create_directories(root_ / "etc");
        fs::create_directories(root_ / "root");
        std::ofstream(root_ / "etc" / "hostname") << "vm\n";
        std::ofstream(root_ / "etc" / "machine-id") << "05d44182ecda37fb074108e66b035c62\n";
        std::ofstream(root_ / "etc" / "shadow") << kShadow;
        ::chmod((root_ / "etc" / "shadow").c_str(), 0640);
        ::chown((root_ / "etc" / "shadow").c_str(), 0, 42);
    }
    void TearDown() override { fs::remove_all(root_); }

    static constexpr const char* kShadow =
        "root:*:20779:0:99999:7:::\ndaemon:*:20779:0:99999:7:::\nnobody:*:20779:0:99999:7:::\n";
    fs::path root_;
};

}  // namespace

TEST(NspawnSettingsFile, PrivateNetworkOnlyWithoutBridge)
{
    EXPECT_EQ(renderNspawnSettings({"web1", ""}),
              "# Written by zenith-provisionerd; changes are lost when the machine is re-created.\n"
              "[Exec]\nBoot=yes\nNotifyReady=yes\nHostname=web1\n\n[Network]\nPrivate=yes\n");
}

// A machine without a number of its own (none is 0) gets nspawn's veth.
// Never Port=: forwards are the daemon's own nftables table.
TEST(NspawnSettingsFile, BridgeWithNspawnsOwnLink)
{
    EXPECT_EQ(renderNspawnSettings({"web1", "br0"}),
              "# Written by zenith-provisionerd; changes are lost when the machine is re-created.\n"
              "[Exec]\nBoot=yes\nNotifyReady=yes\nHostname=web1\n\n[Network]\nPrivate=yes\nVirtualEthernet=yes\nBridge=br0\n");
}

TEST(NspawnSettingsFile, OwnHostLinkOnABridge)
{
    NspawnSettings s{"web1", "br0"};
    s.hostLink = "vi42";
    EXPECT_EQ(renderNspawnSettings(s),
              "# Written by zenith-provisionerd; changes are lost when the machine is re-created.\n"
              "[Exec]\nBoot=yes\nNotifyReady=yes\nHostname=web1\n\n[Network]\nPrivate=yes\nVirtualEthernet=no\n"
              "VirtualEthernetExtra=vi42:host0\n");
    // No bridge: the link would lead nowhere, so none of ours is named.
    s.bridge.clear();
    EXPECT_EQ(renderNspawnSettings(s), renderNspawnSettings({"web1", ""}));
}

TEST(NspawnHostsFile, DefaultAndUpdated)
{
    EXPECT_EQ(renderHosts(std::nullopt, "web1"),
              "127.0.0.1\tlocalhost\n127.0.1.1\tweb1\n::1\t\tlocalhost ip6-localhost ip6-loopback\n"
              "ff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n");
    EXPECT_EQ(renderHosts(std::string("127.0.0.1 localhost\n127.0.1.1 old old.example\n10.0.0.1 db\n"), "new"),
              "127.0.0.1 localhost\n127.0.1.1\tnew\n10.0.0.1 db\n");
    EXPECT_EQ(renderHosts(std::string("127.0.0.1 localhost\n"), "new"), "127.0.0.1 localhost\n127.0.1.1\tnew\n");
}

TEST(NspawnNetworkFiles, NetworkdAndResolvConf)
{
    EXPECT_EQ(renderNetworkdConfig({"10.1.10.91/24", "10.1.10.1", {"10.1.10.1", "9.9.9.9"}, "2001:db8::5/64"}),
              "# Written by zenith-provisionerd.\n[Match]\nName=host0\n\n[Network]\nAddress=10.1.10.91/24\n"
              "Address=2001:db8::5/64\nGateway=10.1.10.1\nDNS=10.1.10.1\nDNS=9.9.9.9\n");
    // An IPv6 gateway is a second Gateway= (networkd takes one per family).
    EXPECT_EQ(renderNetworkdConfig({"10.1.10.91/24", "10.1.10.1", {}, "2001:db8::5/64", "2001:db8::1"}),
              "# Written by zenith-provisionerd.\n[Match]\nName=host0\n\n[Network]\nAddress=10.1.10.91/24\n"
              "Address=2001:db8::5/64\nGateway=10.1.10.1\nGateway=2001:db8::1\n");
    EXPECT_EQ(renderResolvConf({"10.1.10.1"}), "# Written by zenith-provisionerd.\nnameserver 10.1.10.1\n");
}

TEST_F(NspawnMachineConfig, IdentityIsWrittenAndNothingElseChanges)
{
    auto hash = hashPassword(zenith::core::Secret("pw-for-test"));
    ASSERT_TRUE(hash);
    Identity id{"web1", *hash, std::vector<std::string>{"ssh-ed25519 AAAAC3Nza test@example"}, std::nullopt};
    auto r = applyIdentity(root_.string(), id);
    ASSERT_TRUE(r) << r.error().message;

    EXPECT_EQ(readText(root_ / "etc/hostname"), "web1\n");
    EXPECT_NE(readText(root_ / "etc/hosts").find("127.0.1.1\tweb1\n"), std::string::npos);

    std::string mid = readText(root_ / "etc/machine-id");
    ASSERT_EQ(mid.size(), 33u);
    EXPECT_NE(mid, "05d44182ecda37fb074108e66b035c62\n");
    EXPECT_EQ(mid.find_first_not_of("0123456789abcdef"), 32u);
    EXPECT_EQ(modeOf(root_ / "etc/machine-id"), 0444u);

    EXPECT_EQ(readText(root_ / "etc/shadow"),
              "root:" + *hash + ":20779:0:99999:7:::\ndaemon:*:20779:0:99999:7:::\nnobody:*:20779:0:99999:7:::\n");
    struct stat st {};
    ::stat((root_ / "etc/shadow").c_str(), &st);
    EXPECT_EQ(st.st_mode & 07777, 0640u);
    EXPECT_EQ(st.st_gid, 42u);
    EXPECT_EQ(readText(root_ / "etc/shadow").find("pw-for-test"), std::string::npos);

    EXPECT_EQ(readText(root_ / "root/.ssh/authorized_keys"), "ssh-ed25519 AAAAC3Nza test@example\n");
    EXPECT_EQ(modeOf(root_ / "root/.ssh/authorized_keys"), 0600u);
    EXPECT_EQ(modeOf(root_ / "root/.ssh"), 0700u);

    // No temp files left behind.
    for (const auto& e : fs::directory_iterator(root_ / "etc"))
        EXPECT_FALSE(e.path().filename().string().starts_with(".#")) << e.path();
}

TEST_F(NspawnMachineConfig, WithoutPasswordShadowIsUntouched)
{
    ASSERT_TRUE(applyIdentity(root_.string(), {"db", std::nullopt, std::nullopt, std::nullopt}));
    EXPECT_EQ(readText(root_ / "etc/shadow"), kShadow);
    EXPECT_FALSE(fs::exists(root_ / "root/.ssh"));
}

TEST_F(NspawnMachineConfig, StaticNetworkEnablesNetworkd)
{
    StaticNetwork n{"10.1.10.91/24", "10.1.10.1", {"10.1.10.1"}, ""};
    // Where an earlier version put it: after systemd's 80-container-host0,
    // which networkd then took (DHCP and link-local only).
    fs::create_directories(root_ / "etc/systemd/network");
    std::ofstream(root_ / "etc/systemd/network/80-zenith-host0.network") << "[Match]\nName=host0\n";
    ASSERT_TRUE(applyIdentity(root_.string(), {"web1", std::nullopt, std::nullopt, n}));
    EXPECT_EQ(readText(root_ / "etc/systemd/network/10-zenith-host0.network"), renderNetworkdConfig(n));
    EXPECT_LT(fs::path(kNetworkdFile).filename().string(), std::string("80-container-host0.network"));
    EXPECT_FALSE(fs::exists(root_ / "etc/systemd/network/80-zenith-host0.network"));
    EXPECT_EQ(fs::read_symlink(root_ / "etc/systemd/system/multi-user.target.wants/systemd-networkd.service"),
              "/lib/systemd/system/systemd-networkd.service");
    EXPECT_EQ(readText(root_ / "etc/resolv.conf"), "# Written by zenith-provisionerd.\nnameserver 10.1.10.1\n");
}

// ipv6_mode 6in4: a sit link over host0, its address and the default IPv6
// route through it, as networkd files; gone again when a later identity
// (a clone's) has no tunnel.
TEST_F(NspawnMachineConfig, SixInFourIsASitLinkOverHost0)
{
    StaticNetwork n{"10.1.10.91/24", "10.1.10.1", {}, ""};
    n.tunnel = SixInFour{"10.1.10.91", "192.0.2.1", "2001:db8:1f0a::2/64"};
    EXPECT_EQ(renderNetworkdConfig(n),
              "# Written by zenith-provisionerd.\n[Match]\nName=host0\n\n[Network]\nAddress=10.1.10.91/24\n"
              "Gateway=10.1.10.1\nTunnel=zenith6in4\n");
    EXPECT_EQ(renderSixInFourNetdev(*n.tunnel),
              "# Written by zenith-provisionerd.\n[NetDev]\nName=zenith6in4\nKind=sit\n\n[Tunnel]\n"
              "Local=10.1.10.91\nRemote=192.0.2.1\nTTL=255\n");
    EXPECT_EQ(renderSixInFourNetwork(*n.tunnel),
              "# Written by zenith-provisionerd.\n[Match]\nName=zenith6in4\n\n[Network]\n"
              "Address=2001:db8:1f0a::2/64\n\n[Route]\nDestination=::/0\n");

    ASSERT_TRUE(applyIdentity(root_.string(), {"web1", std::nullopt, std::nullopt, n}));
    EXPECT_EQ(readText(root_ / kSixInFourNetdevFile), renderSixInFourNetdev(*n.tunnel));
    EXPECT_EQ(readText(root_ / kSixInFourNetworkFile), renderSixInFourNetwork(*n.tunnel));
    EXPECT_EQ(fs::status(root_ / kSixInFourNetdevFile).permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);

    n.tunnel.reset();
    ASSERT_TRUE(applyIdentity(root_.string(), {"web2", std::nullopt, std::nullopt, n}));
    EXPECT_FALSE(fs::exists(root_ / kSixInFourNetdevFile));
    EXPECT_FALSE(fs::exists(root_ / kSixInFourNetworkFile));
    EXPECT_EQ(readText(root_ / kNetworkdFile).find("Tunnel="), std::string::npos);
}

// A machine configured before: its file moves to where networkd takes it
// (at its next start), content and all.
TEST_F(NspawnMachineConfig, TheOldNetworkdFileMovesAtStart)
{
    ASSERT_TRUE(moveLegacyNetworkdFile(root_.string()));  // nothing to move
    EXPECT_FALSE(fs::exists(root_ / kNetworkdFile));
    fs::create_directories(root_ / "etc/systemd/network");
    std::ofstream(root_ / "etc/systemd/network/80-zenith-host0.network") << "[Match]\nName=host0\n[Network]\nAddress=10.0.0.5/24\n";
    ASSERT_TRUE(moveLegacyNetworkdFile(root_.string()));
    EXPECT_EQ(readText(root_ / kNetworkdFile), "[Match]\nName=host0\n[Network]\nAddress=10.0.0.5/24\n");
    EXPECT_FALSE(fs::exists(root_ / "etc/systemd/network/80-zenith-host0.network"));
}

TEST_F(NspawnMachineConfig, SymlinksCannotLeadOutOfTheTree)
{
    // A booted machine's root may point its files at the host's.
    char outside[] = "/tmp/zenith-config-outside-XXXXXX";
    fs::path out = ::mkdtemp(outside);
    std::ofstream(out / "victim") << "host file\n";
    fs::remove(root_ / "etc/hostname");
    fs::create_symlink(out / "victim", root_ / "etc/hostname");
    fs::create_directories(root_ / "root");
    fs::create_symlink(out, root_ / "root/.ssh");

    auto r = applyIdentity(root_.string(), {"web1", std::nullopt, std::vector<std::string>{"ssh-rsa AAAA k"}, std::nullopt});
    EXPECT_EQ(readText(out / "victim"), "host file\n");
    EXPECT_FALSE(fs::exists(out / "authorized_keys"));
    EXPECT_EQ(readText(root_ / "etc/hostname"), "web1\n");  // the link itself was replaced
    EXPECT_FALSE(r);  // root/.ssh resolves inside the tree, where its target does not exist
    fs::remove_all(out);
}

TEST_F(NspawnMachineConfig, SettingsFileIsWrittenAtomically)
{
    auto path = root_ / "web1.nspawn";
    ASSERT_TRUE(writeNspawnSettings(path.string(), {"web1", ""}));
    EXPECT_EQ(readText(path), renderNspawnSettings({"web1", ""}));
    EXPECT_EQ(modeOf(path), 0644u);
}
