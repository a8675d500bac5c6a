// SSH host keys: fingerprints as OpenSSH computes them, keys of their own
// per call, installed inside the tree only (a tenant's symlink leads
// nowhere), old keys removed, the server switched on and off.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "file_text.h"  // tests/support

#include "drivers/nspawn/ssh_host_keys.h"

using namespace zenith::drivers::nspawn;
namespace fs = std::filesystem;
using zenith::testsupport::readText;

namespace {

class SshHostKeys : public ::testing::Test {
protected:
    void SetUp() override
    {
        char tmpl[] = "/tmp/zenith-hostkeys-test-XXXXXX";
        dir_ = ::mkdtemp(tmpl);
        root_ = dir_ / "tree";
        fs::create_directories(root_ / "etc/ssh");
    }
    void TearDown() override { fs::remove_all(dir_); }
    fs::path dir_, root_;
};

}  // namespace

TEST(SshHostKeyFingerprint, IsWhatSshKeygenShows)
{
    // Expected values printed by `ssh-keygen -lf` for these keys.
    EXPECT_EQ(hostKeyFingerprint("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFiXxQs9Gc0LG/jNe22Jsp6Mk66m5nKQ4J7QLZ0ElHmN "
                                 "root@fixed\n")
                  .value_or("error"),
              "ssh-ed25519 SHA256:GAUfW5O6dwdvq6rbH8ORvx34aqh6yETufcwAcr1Tz7U");
    EXPECT_EQ(hostKeyFingerprint("ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBFa/sU3A3DoWD"
                                 "Btr0WC/74qeI0yF87cWmyEUSXN+wVq0Nnz+fyUiffC9CLy7kWgzdwTdoywlPdAAIEtlyOxnQfo= x")
                  .value_or("error"),
              "ecdsa-sha2-nistp256 SHA256:9Xh6s/79pBwfDdFNHG++0SZ80GZodwBh9jE8D8b5vB4");
}

TEST(SshHostKeyFingerprint, RefusesWhatIsNoPublicKeyLine)
{
    for (const char* bad : {"", "ssh-ed25519", "ssh-ed25519 ", " AAAAC3NzaC1lZDI1NTE5", "ssh-ed25519 !!!!",
                            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFiXxQs9Gc0LG/jNe22Jsp6Mk66m5nKQ4J7QLZ0ElHm",
                            // The blob says ssh-ed25519; the line says otherwise.
                            "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIFiXxQs9Gc0LG/jNe22Jsp6Mk66m5nKQ4J7QLZ0ElHmN x"}) {
        auto r = hostKeyFingerprint(bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().code, zenith::core::ErrorCode::InvalidArgs);
    }
}

TEST_F(SshHostKeys, EachCallMakesKeysOfItsOwnAndLeavesNoFileBehind)
{
    auto a = generateHostKeys(dir_ / "work", "web1");
    auto b = generateHostKeys(dir_ / "work", "web2");
    ASSERT_TRUE(a) << a.error().message;
    ASSERT_TRUE(b) << b.error().message;
    ASSERT_EQ(a->size(), 2u);
    EXPECT_EQ((*a)[0].type, "ed25519");
    EXPECT_TRUE((*a)[0].publicKey.starts_with("ssh-ed25519 ")) << (*a)[0].publicKey;
    EXPECT_NE((*a)[0].publicKey.find(" root@web1"), std::string::npos);
    EXPECT_TRUE((*a)[1].publicKey.starts_with("ecdsa-sha2-nistp256 ")) << (*a)[1].publicKey;
    EXPECT_TRUE((*a)[0].privateKey.reveal().starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"));
    for (size_t i = 0; i < a->size(); ++i) {
        EXPECT_NE((*a)[i].publicKey, (*b)[i].publicKey);
        EXPECT_TRUE(hostKeyFingerprint((*a)[i].publicKey));
    }
    EXPECT_TRUE(fs::is_empty(dir_ / "work"));
    // What a daemon killed half-way left is removed at the next start.
    fs::create_directories(dir_ / "work" / ".hostkeys-AbC123");
    std::ofstream(dir_ / "work" / ".hostkeys-AbC123" / "ssh_host_ed25519_key") << "secret";
    std::ofstream(dir_ / "work" / "web1.pid") << "1";
    removeStaleHostKeyDirs(dir_ / "work");
    EXPECT_FALSE(fs::exists(dir_ / "work" / ".hostkeys-AbC123"));
    EXPECT_TRUE(fs::exists(dir_ / "work" / "web1.pid"));
}

// The tenant's /etc/ssh leads to a host directory: the keys land inside
// the tree all the same (the link resolves within it), never there.
TEST_F(SshHostKeys, ADirectoryLinkLeadsNowhereOutside)
{
    fs::remove_all(root_ / "etc/ssh");
    fs::create_directories(dir_ / "host-etc-ssh");
    fs::create_symlink(dir_ / "host-etc-ssh", root_ / "etc/ssh");
    auto keys = generateHostKeys(dir_ / "work", "web1");
    ASSERT_TRUE(keys);
    // Whether these succeed (inside the tree) or fail depends on what the
    // link resolves to there; the host directory stays empty either way.
    (void)installHostKeys(root_, *keys, {0, 0});
    (void)setSshServerEnabled(root_, false);
    EXPECT_TRUE(fs::is_empty(dir_ / "host-etc-ssh"));
}

TEST_F(SshHostKeys, InstalledInsideTheTreeOnlyAndOldKeysGo)
{
    std::ofstream(root_ / "etc/ssh/ssh_host_rsa_key") << "the template's key";
    std::ofstream(root_ / "etc/ssh/ssh_host_rsa_key.pub") << "ssh-rsa AAAA old";
    // A tenant's trap: the key's path leads to a host file.
    std::ofstream(dir_ / "host-file") << "host\n";
    fs::create_symlink(dir_ / "host-file", root_ / "etc/ssh/ssh_host_ed25519_key");
    auto keys = generateHostKeys(dir_ / "work", "web1");
    ASSERT_TRUE(keys);
    ASSERT_TRUE(installHostKeys(root_, *keys, {0, 0}));
    EXPECT_EQ(readText(dir_ / "host-file"), "host\n");
    EXPECT_FALSE(fs::exists(root_ / "etc/ssh/ssh_host_rsa_key"));
    EXPECT_FALSE(fs::exists(root_ / "etc/ssh/ssh_host_rsa_key.pub"));
    EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(root_ / "etc/ssh/ssh_host_ed25519_key")));
    EXPECT_EQ(readText(root_ / "etc/ssh/ssh_host_ed25519_key"), (*keys)[0].privateKey.reveal());
    EXPECT_EQ(readText(root_ / "etc/ssh/ssh_host_ecdsa_key.pub"), (*keys)[1].publicKey);
    struct stat st {};
    ASSERT_EQ(::stat((root_ / "etc/ssh/ssh_host_ed25519_key").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
    ASSERT_EQ(::stat((root_ / "etc/ssh/ssh_host_ed25519_key.pub").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0644u);
}

TEST_F(SshHostKeys, TheServerIsSwitchedOnAndOff)
{
    EXPECT_FALSE(hasSshServer(root_));
    fs::create_directories(root_ / "usr/sbin");
    std::ofstream(root_ / "usr/sbin/sshd") << "";
    EXPECT_TRUE(hasSshServer(root_));
    const fs::path wants = root_ / "etc/systemd/system/multi-user.target.wants/ssh.service";
    const fs::path off = root_ / "etc/ssh/sshd_not_to_be_run";
    ASSERT_TRUE(setSshServerEnabled(root_, false));
    EXPECT_TRUE(fs::is_regular_file(off));
    ASSERT_TRUE(setSshServerEnabled(root_, false));  // already off
    ASSERT_TRUE(setSshServerEnabled(root_, true));
    EXPECT_FALSE(fs::exists(off));
    EXPECT_EQ(fs::read_symlink(wants), "/lib/systemd/system/ssh.service");
}

// Ubuntu since 22.10 listens through ssh.socket: off is the marker file
// every ssh unit checks (the socket's link stays, it starts nothing), and
// on does not add ssh.service beside the socket (both would bind port 22).
TEST_F(SshHostKeys, ASocketActivatedServerIsSwitchedByTheMarkerToo)
{
    const fs::path socketWants = root_ / "etc/systemd/system/sockets.target.wants/ssh.socket";
    fs::create_directories(socketWants.parent_path());
    fs::create_directories(root_ / "lib/systemd/system");
    std::ofstream(root_ / "lib/systemd/system/ssh.socket") << "[Socket]\nListenStream=22\n";
    fs::create_symlink("/lib/systemd/system/ssh.socket", socketWants);
    ASSERT_TRUE(setSshServerEnabled(root_, false));
    EXPECT_TRUE(fs::exists(root_ / "etc/ssh/sshd_not_to_be_run"));
    ASSERT_TRUE(setSshServerEnabled(root_, true));
    EXPECT_FALSE(fs::exists(root_ / "etc/ssh/sshd_not_to_be_run"));
    EXPECT_FALSE(fs::exists(fs::symlink_status(root_ / "etc/systemd/system/multi-user.target.wants/ssh.service")));
}

// What the switches above stand on: a missing file or directory is nothing
// to remove, a missing tree is an error, a directory is never removed.
TEST_F(SshHostKeys, RemovingInTheTreeFailsOnlyWhenItMeansIt)
{
    EXPECT_TRUE(removeFileInRoot(root_, "etc/ssh/none"));
    EXPECT_TRUE(removeFileInRoot(root_, "no/such/dir/file"));
    std::ofstream(root_ / "etc/hostname") << "web1\n";
    EXPECT_TRUE(removeFileInRoot(root_, "etc/hostname/below-a-file"));  // ENOTDIR
    EXPECT_FALSE(removeFileInRoot(dir_ / "no-tree", "etc/hostname"));
    EXPECT_FALSE(removeFileInRoot(root_, "etc/ssh"));  // a directory
    EXPECT_TRUE(fs::is_directory(root_ / "etc/ssh"));
    EXPECT_TRUE(removeFileInRoot(root_, "etc/hostname"));
    EXPECT_FALSE(fs::exists(root_ / "etc/hostname"));
}
