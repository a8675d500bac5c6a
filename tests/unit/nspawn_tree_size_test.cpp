// Image sizes are measured once and kept, so ListImages (answered on the bus
// loop) never walks a root file system.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "drivers/nspawn/base_image_cache.h"

namespace fs = std::filesystem;
using namespace zenith::drivers::nspawn;

namespace {

class TreeSize : public ::testing::Test {
protected:
    fs::path dir = fs::temp_directory_path() / ("zenith-tree-size-" + std::to_string(::getpid()));
    fs::path tree = dir / "tree";
    std::string sizeFile = (dir / ".tree.size").string();
    void SetUp() override
    {
        fs::remove_all(dir);
        fs::create_directories(tree / "etc");
        std::ofstream(tree / "etc" / "data") << std::string(256 * 1024, 'x');
    }
    void TearDown() override { fs::remove_all(dir); }
};

TEST_F(TreeSize, MeasuredOnceThenReadBack)
{
    const uint64_t measured = recordTreeSize(tree.string(), sizeFile);
    EXPECT_GE(measured, 256u * 1024);
    EXPECT_EQ(treeSize(tree.string()), measured);
    // The tree grows; the recorded size is what is reported (an image does
    // not change after it is made), without walking the tree again.
    std::ofstream(tree / "etc" / "more") << std::string(512 * 1024, 'y');
    EXPECT_EQ(recordedTreeSize(tree.string(), sizeFile), measured);
    EXPECT_GT(treeSize(tree.string()), measured);
}

TEST_F(TreeSize, MissingOrBrokenRecordIsMeasuredAndWritten)
{
    EXPECT_FALSE(fs::exists(sizeFile));
    const uint64_t size = recordedTreeSize(tree.string(), sizeFile);
    EXPECT_EQ(size, treeSize(tree.string()));
    std::ifstream in(sizeFile);
    uint64_t stored = 0;
    ASSERT_TRUE(in >> stored);
    EXPECT_EQ(stored, size);

    std::ofstream(sizeFile, std::ios::trunc) << "garbage";
    EXPECT_EQ(recordedTreeSize(tree.string(), sizeFile), size);
}

}  // namespace
