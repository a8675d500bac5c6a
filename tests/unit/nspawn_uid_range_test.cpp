// Picking each machine's user namespace range: never one another machine
// has, never one overlapping ids the host hands out (subuid/subgid, users
// and groups in the window).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "drivers/nspawn/uid_range.h"

namespace fs = std::filesystem;
using namespace zenith::drivers::nspawn;

namespace {

TEST(NspawnUidRange, ReadsTheRecordedBase)
{
    EXPECT_EQ(privateUsersBase("[Exec]\nBoot=yes\nPrivateUsers=589824:65536\n"), 589824u);
    EXPECT_EQ(privateUsersBase("PrivateUsers=655360\n"), 655360u);
    EXPECT_EQ(privateUsersBase("[Exec]\nBoot=yes\n"), std::nullopt);
    EXPECT_EQ(privateUsersBase("PrivateUsers=pick\n"), std::nullopt);
}

TEST(NspawnUidRange, PicksTheLowestFreeRange)
{
    EXPECT_EQ(pickUidBase({}, {}), kFirstUidBase);
    EXPECT_EQ(pickUidBase({kFirstUidBase}, {}), kFirstUidBase + kUidRangeSize);
    // A subuid range covering the first two, a user id inside the third.
    std::vector<IdRange> host{{kFirstUidBase - 10, 2 * kUidRangeSize}, {kFirstUidBase + 2 * kUidRangeSize + 7, 1}};
    EXPECT_EQ(pickUidBase({}, host), kFirstUidBase + 3 * kUidRangeSize);
    // A full window.
    EXPECT_EQ(pickUidBase({}, {{0, 0xffffffffu}}), std::nullopt);
}

TEST(NspawnUidRange, HostIdsComeFromSubuidSubgidPasswdAndGroup)
{
    char tmpl[] = "/tmp/zenith-etc-XXXXXX";
    fs::path etc = ::mkdtemp(tmpl);
    std::ofstream(etc / "subuid") << "alice:100000:65536\nbogus line\n";
    std::ofstream(etc / "subgid") << "alice:700000:10\n";
    std::ofstream(etc / "passwd") << "root:x:0:0::/root:/bin/sh\nbig:x:600000:600000::/:/bin/false\n";
    std::ofstream(etc / "group") << "root:x:0:\nbig:x:600001:\n";
    auto ranges = hostIdRanges(etc.string());
    ASSERT_EQ(ranges.size(), 4u);
    EXPECT_EQ(ranges[0].first, 100000u);
    EXPECT_EQ(ranges[0].count, 65536u);
    EXPECT_EQ(ranges[1].first, 700000u);
    EXPECT_EQ(ranges[2].first, 600000u);
    EXPECT_EQ(ranges[3].first, 600001u);
    fs::remove_all(etc);
}

// Two creates at once never get the same range: the first one's is reserved
// until its settings file records it.
TEST(NspawnUidRange, ReservedRangesAreNotHandedOutTwice)
{
    char tmpl[] = "/tmp/zenith-settings-XXXXXX";
    fs::path dir = ::mkdtemp(tmpl);
    UidRangeAllocator a(dir.string(), dir.string());
    auto first = a.reserve();
    auto second = a.reserve();
    ASSERT_TRUE(first && second);
    EXPECT_NE(*first, *second);
    std::ofstream(dir / "web1.nspawn") << "[Exec]\nPrivateUsers=" << *first << ":65536\n";
    a.release(*first);
    a.release(*second);
    auto third = a.reserve();
    ASSERT_TRUE(third);
    EXPECT_EQ(*third, *second);  // the first is recorded in a file now
    fs::remove_all(dir);
}

}  // namespace
