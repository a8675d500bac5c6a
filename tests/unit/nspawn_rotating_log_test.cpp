// A tenant decides how much its container prints: the console log stays
// within its bound (two files of at most maxBytes), newest output in FILE.
#include <gtest/gtest.h>

#include "file_text.h"  // tests/support

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "drivers/nspawn/rotating_log.h"

namespace fs = std::filesystem;
using zenith::testsupport::readText;
using zenith::drivers::nspawn::RotatingLog;

namespace {

TEST(NspawnRotatingLog, NeverGrowsPastTwoFilesOfItsBound)
{
    char tmpl[] = "/tmp/zenith-rotlog-XXXXXX";
    fs::path dir = ::mkdtemp(tmpl);
    const fs::path file = dir / "web1.console";
    {
        auto log = RotatingLog::open(file.string(), 4096);
        ASSERT_TRUE(log) << log.error().message;
        for (int i = 0; i < 10000; ++i)
            ASSERT_TRUE(log->write("line " + std::to_string(i) + " of a console that never stops\n"));
        ASSERT_TRUE(log->write(std::string(100000, 'x')));  // one write bigger than the bound
        ASSERT_TRUE(log->write("the end\n"));
    }
    EXPECT_LE(fs::file_size(file), 4096u);
    EXPECT_LE(fs::file_size(dir / "web1.console.1"), 4096u);
    EXPECT_TRUE(readText(file).ends_with("the end\n"));
    size_t files = 0;
    for ([[maybe_unused]] auto& e : fs::directory_iterator(dir))
        ++files;
    EXPECT_EQ(files, 2u);
    EXPECT_EQ(fs::status(file).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
    fs::remove_all(dir);
}

TEST(NspawnRotatingLog, RefusesALinkOrNonRegularFile)
{
    char tmpl[] = "/tmp/zenith-rotlog-XXXXXX";
    fs::path dir = ::mkdtemp(tmpl);
    fs::create_symlink("/etc/passwd", dir / "web1.console");
    EXPECT_FALSE(RotatingLog::open((dir / "web1.console").string(), 4096));
    fs::create_directories(dir / "dir.console");
    EXPECT_FALSE(RotatingLog::open((dir / "dir.console").string(), 4096));
    fs::remove_all(dir);
}

}  // namespace
