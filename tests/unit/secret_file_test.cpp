// Secret files: only a private regular file of root's is read, and no error
// message ever shows what the file holds.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/secret_file.h"

namespace zenith::core {
namespace {

namespace fs = std::filesystem;
constexpr const char* kSecret = "5f1e2d3c-aaaa-bbbb-cccc-0123456789ab";

class SecretFileTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char tmpl[] = "/tmp/zenith-secret-test-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir = tmpl;
    }
    void TearDown() override { fs::remove_all(dir); }
    std::string write(const std::string& name, const std::string& content, mode_t mode = 0600)
    {
        std::string p = dir + "/" + name;
        std::ofstream(p) << content;
        ::chmod(p.c_str(), mode);
        return p;
    }
    void expectRefused(const std::string& path, const std::string& why)
    {
        auto r = readSecretFile(path);
        ASSERT_FALSE(r) << path;
        EXPECT_EQ(r.error().code, ErrorCode::InvalidArgs) << r.error().message;
        EXPECT_NE(r.error().message.find(why), std::string::npos) << r.error().message;
        EXPECT_NE(r.error().message.find(path), std::string::npos) << r.error().message;
        EXPECT_EQ(r.error().message.find("5f1e2d3c"), std::string::npos) << "the secret leaked: " << r.error().message;
    }
    std::string dir;
};

TEST_F(SecretFileTest, APrivateFileGivesItsOneLine)
{
    EXPECT_EQ(*readSecretFile(write("ok", std::string(kSecret) + "\n")), kSecret);
    EXPECT_EQ(*readSecretFile(write("crlf", std::string(kSecret) + "\r\n")), kSecret);
    EXPECT_EQ(*readSecretFile(write("bare", kSecret, 0400)), kSecret);
}

TEST_F(SecretFileTest, FilesOthersCanReadAreRefused)
{
    expectRefused(write("group", kSecret, 0640), "mode 0640");
    expectRefused(write("world", kSecret, 0604), "mode 0604");
}

TEST_F(SecretFileTest, AnotherUsersFileIsRefused)
{
    auto p = write("theirs", kSecret);
    ASSERT_EQ(::chown(p.c_str(), 65534, 65534), 0);
    expectRefused(p, "belongs to uid 65534");
}

TEST_F(SecretFileTest, LinksFifosDirectoriesAndSocketsAreRefusedAtOnce)
{
    auto target = write("target", kSecret);
    fs::create_symlink(target, dir + "/link");
    expectRefused(dir + "/link", "symbolic link");
    ASSERT_EQ(::mkfifo((dir + "/fifo").c_str(), 0600), 0);
    expectRefused(dir + "/fifo", "not a regular file");
    fs::create_directory(dir + "/subdir");
    ::chmod((dir + "/subdir").c_str(), 0700);
    expectRefused(dir + "/subdir", "not a regular file");
}

TEST_F(SecretFileTest, SecretsThatWouldBreakAHeaderAreRefused)
{
    expectRefused(write("twolines", std::string(kSecret) + "\nX-Injected: 1\n"), "more than one line");
    expectRefused(write("control", std::string(kSecret) + "\x01"), "control character");
    expectRefused(write("empty", "\n"), "is empty");
    expectRefused(write("big", std::string(kSecret) + std::string(5000, 'a')), "larger than 4096 bytes");
}

TEST_F(SecretFileTest, AMissingFileCannotBeRead)
{
    auto r = readSecretFile(dir + "/missing");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::BackendUnavailable);
}

}  // namespace
}  // namespace zenith::core
