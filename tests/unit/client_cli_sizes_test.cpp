// zenithctl size arguments: bytes and binary units, and clear errors.
#include <gtest/gtest.h>

#include "sizes.h"

namespace {

using zenithctl::formatSize;
using zenithctl::parseSize;

TEST(ClientCliSizes, ParsesBytesAndBinaryUnits)
{
    EXPECT_EQ(parseSize("1073741824", "memory_max").value(), 1073741824ull);
    EXPECT_EQ(parseSize("1024B", "memory_max").value(), 1024ull);
    EXPECT_EQ(parseSize("512M", "memory_max").value(), 512ull << 20);
    EXPECT_EQ(parseSize("512m", "memory_max").value(), 512ull << 20);
    EXPECT_EQ(parseSize("8G", "memory_max").value(), 8ull << 30);
    EXPECT_EQ(parseSize("8GiB", "memory_max").value(), 8ull << 30);
    EXPECT_EQ(parseSize("8GB", "memory_max").value(), 8ull << 30);
    EXPECT_EQ(parseSize("100K", "memory_max").value(), 102400ull);
    EXPECT_EQ(parseSize("2T", "disk_max").value(), 2ull << 40);
    EXPECT_EQ(parseSize("1.5G", "memory_max").value(), 3ull << 29);
    EXPECT_EQ(parseSize("0", "swap_max").value(), 0ull);
}

TEST(ClientCliSizes, RejectsJunkNamingTheKey)
{
    for (const char* bad : {"", "G", "12X", "-1G", "1.5", "1.G", "1 G", "8GBs", "99999999999999999999",
                            "20000000000E"}) {
        auto r = parseSize(bad, "disk_max");
        ASSERT_FALSE(r.has_value()) << bad;
        EXPECT_EQ(r.error().kind, zenith::client::ErrorKind::InvalidArgs);
        EXPECT_EQ(r.error().message.rfind("disk_max:", 0), 0u) << r.error().message;
    }
}

TEST(ClientCliSizes, FormatsExactUnitsOrOneDecimal)
{
    EXPECT_EQ(formatSize(0), "0");
    EXPECT_EQ(formatSize(1000), "1000");
    EXPECT_EQ(formatSize(512ull << 20), "512M");
    EXPECT_EQ(formatSize(8ull << 30), "8G");
    EXPECT_EQ(formatSize(3ull << 29), "1.5G");
    EXPECT_EQ(formatSize(1536), "1.5K");
}

}  // namespace
