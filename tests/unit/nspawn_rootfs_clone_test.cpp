#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "drivers/nspawn/rootfs_clone.h"

using namespace zenith::drivers::nspawn;
using zenith::core::ErrorCode;
namespace fs = std::filesystem;

namespace {

class NspawnRootfsClone : public ::testing::Test {
protected:
    void SetUp() override
    {
        char tmpl[] = "/tmp/zenith-clone-test-XXXXXX";
        dir_ = ::mkdtemp(tmpl);
        src_ = dir_ / "src";
        fs::create_directories(src_ / "etc" / "deep");
        std::ofstream(src_ / "etc" / "hostname") << "base\n";
        std::ofstream(src_ / "etc" / "deep" / "file") << "x";
        ::chmod((src_ / "etc" / "deep" / "file").c_str(), 0640);
        fs::create_symlink("/etc/hostname", src_ / "etc" / "abs-link");
    }
    void TearDown() override { fs::remove_all(dir_); }
    fs::path dir_, src_;
};

}  // namespace

TEST_F(NspawnRootfsClone, CopyPreservesTreeAndLeavesNoStaging)
{
    auto target = dir_ / "web1";
    auto staging = dir_ / ".#web1.partial";
    auto r = cloneTree(src_.string(), target.string(), staging.string(), {});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(*r, isBtrfs(dir_.string()) ? CloneMethod::Snapshot : CloneMethod::Copy);
    EXPECT_TRUE(fs::exists(target / "etc" / "deep" / "file"));
    EXPECT_EQ(fs::status(target / "etc" / "deep" / "file").permissions(),
              fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
    EXPECT_EQ(fs::read_symlink(target / "etc" / "abs-link"), "/etc/hostname");
    EXPECT_FALSE(fs::exists(staging));
}

TEST_F(NspawnRootfsClone, ExistingTargetIsMachineExistsAndUntouched)
{
    auto target = dir_ / "web1";
    fs::create_directories(target);
    std::ofstream(target / "keep") << "mine";
    auto r = cloneTree(src_.string(), target.string(), (dir_ / ".#web1.partial").string(), {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::MachineExists);
    EXPECT_TRUE(fs::exists(target / "keep"));
}

TEST_F(NspawnRootfsClone, CancelledCopyLeavesNothing)
{
    if (isBtrfs(dir_.string()))
        GTEST_FAIL() << "this test needs a non-btrfs /tmp (a snapshot cannot be cancelled)";
    std::stop_source stop;
    stop.request_stop();
    auto target = dir_ / "web1";
    auto staging = dir_ / ".#web1.partial";
    auto r = cloneTree(src_.string(), target.string(), staging.string(), stop.get_token());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::Cancelled);
    EXPECT_FALSE(fs::exists(target));
    EXPECT_FALSE(fs::exists(staging));
}

TEST_F(NspawnRootfsClone, RemoveNeverFollowsSymlinksOutOfTheTree)
{
    char outside[] = "/tmp/zenith-clone-outside-XXXXXX";
    fs::path out = ::mkdtemp(outside);
    std::ofstream(out / "precious") << "keep me";
    fs::create_symlink(out, src_ / "etc" / "link-to-outside-dir");
    fs::create_symlink(out / "precious", src_ / "link-to-outside-file");

    ASSERT_TRUE(removeTree(src_.string()));
    EXPECT_FALSE(fs::exists(fs::symlink_status(src_)));
    EXPECT_TRUE(fs::exists(out / "precious"));
    fs::remove_all(out);

    EXPECT_TRUE(removeTree((dir_ / "never-existed").string()));  // missing is fine
}

TEST_F(NspawnRootfsClone, MakeTreeDirOnPlainFilesystem)
{
    auto p = dir_ / "img";
    ASSERT_TRUE(makeTreeDir(p.string()));
    EXPECT_TRUE(fs::is_directory(p));
    EXPECT_EQ(isBtrfsSubvolume(p.string()), isBtrfs(dir_.string()));
    EXPECT_FALSE(makeTreeDir(p.string()));  // exists already
}
