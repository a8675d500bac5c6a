// Files a tenant planted where the daemon reads (etc/hosts, etc/shadow): each
// trap must turn into a prompt error naming the path, never a hang (FIFO), a
// read of a device (/dev/zero never ends), a huge allocation (64 GiB sparse
// file) or a read of the host's files (a link out of the tree).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <cstring>
#include <future>

#include "drivers/nspawn/machine_config.h"
#include "drivers/nspawn/rootfs_files.h"

namespace fs = std::filesystem;
using namespace zenith::drivers::nspawn;
using namespace std::chrono_literals;

namespace {

class TrapFiles : public ::testing::Test {
protected:
    void SetUp() override
    {
        char tmpl[] = "/tmp/zenith-trap-XXXXXX";
        root_ = ::mkdtemp(tmpl);
        fs::create_directories(root_ / "etc");
    }
    void TearDown() override { fs::remove_all(root_); }

    // readFileInRoot with a hang guard: a read that blocks fails the test
    // instead of hanging the suite.
    zenith::core::Result<std::optional<std::string>> readGuarded(const std::string& rel)
    {
        auto f = std::async(std::launch::async, [&] { return readFileInRoot(root_.string(), rel); });
        if (f.wait_for(10s) != std::future_status::ready) {
            ADD_FAILURE() << "reading " << rel << " blocked";
            std::abort();  // the reader thread cannot be joined
        }
        return f.get();
    }

    void expectRefused(const std::string& rel, const std::string& why)
    {
        auto r = readGuarded(rel);
        ASSERT_FALSE(r) << rel << " was read";
        EXPECT_NE(r.error().message.find(root_.string() + "/" + rel), std::string::npos) << r.error().message;
        EXPECT_NE(r.error().message.find(why), std::string::npos) << r.error().message;
    }

    fs::path root_;
};

TEST_F(TrapFiles, ARegularFileIsRead)
{
    std::ofstream(root_ / "etc/hosts") << "127.0.0.1 localhost\n";
    auto r = readGuarded("etc/hosts");
    ASSERT_TRUE(r);
    EXPECT_EQ(**r, "127.0.0.1 localhost\n");
    auto missing = readGuarded("etc/none");
    ASSERT_TRUE(missing);
    EXPECT_FALSE(missing->has_value());
}

TEST_F(TrapFiles, AFifoIsRefusedNotWaitedOn)
{
    ASSERT_EQ(::mkfifo((root_ / "etc/hosts").c_str(), 0644), 0);
    expectRefused("etc/hosts", "is a FIFO, not a regular file");
}

TEST_F(TrapFiles, ADeviceIsRefusedNotOpened)
{
    // /dev/zero: a read would never end.
    ASSERT_EQ(::mknod((root_ / "etc/shadow").c_str(), S_IFCHR | 0600, makedev(1, 5)), 0) << "needs root";
    expectRefused("etc/shadow", "is a character device");
}

TEST_F(TrapFiles, ASocketIsRefused)
{
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::string path = (root_ / "etc/hosts").string();
    ASSERT_LT(path.size(), sizeof addr.sun_path);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    expectRefused("etc/hosts", "is a socket");
    ::close(fd);
}

TEST_F(TrapFiles, ASymlinkLoopIsRefused)
{
    fs::create_symlink("hosts.b", root_ / "etc/hosts");
    fs::create_symlink("hosts", root_ / "etc/hosts.b");
    expectRefused("etc/hosts", "Too many levels of symbolic links");
}

TEST_F(TrapFiles, AHugeSparseFileIsRefusedUnread)
{
    {
        std::ofstream(root_ / "etc/shadow").close();
        fs::resize_file(root_ / "etc/shadow", 64ull << 30);
    }
    expectRefused("etc/shadow", "68719476736 bytes");
}

TEST_F(TrapFiles, ADirectoryIsRefused)
{
    fs::create_directories(root_ / "etc/hosts");
    expectRefused("etc/hosts", "is a directory");
}

// A link out of the tree resolves inside it: the host's file is never read.
TEST_F(TrapFiles, ALinkToTheHostStaysInTheTree)
{
    fs::create_symlink("/etc/passwd", root_ / "etc/hosts");
    auto r = readGuarded("etc/hosts");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_FALSE(r->has_value()) << "read the host's /etc/passwd";
    fs::create_directories(root_ / "real");
    std::ofstream(root_ / "real/shadow") << "root:*:1::::::\n";
    fs::create_symlink("../real/shadow", root_ / "etc/shadow");
    auto inside = readGuarded("etc/shadow");
    ASSERT_TRUE(inside && inside->has_value());
    EXPECT_EQ(**inside, "root:*:1::::::\n");
}

// The whole identity step fails on a trap, naming the file.
TEST_F(TrapFiles, ApplyIdentityFailsOnATrapNamingIt)
{
    ASSERT_EQ(::mkfifo((root_ / "etc/shadow").c_str(), 0640), 0);
    Identity id{"web1", std::string("$y$j9T$salt$hash"), std::nullopt, std::nullopt};
    auto f = std::async(std::launch::async, [&] { return applyIdentity(root_.string(), id); });
    ASSERT_EQ(f.wait_for(10s), std::future_status::ready) << "applyIdentity blocked on a FIFO";
    auto r = f.get();
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("etc/shadow is a FIFO"), std::string::npos) << r.error().message;
}

}  // namespace
