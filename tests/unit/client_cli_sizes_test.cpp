// zenithctl size arguments: bytes and binary units, and clear errors.
#include <gtest/gtest.h>

#include "sizes.h"

namespace {

using zenithctl::formatSize;
using zenithctl::parseSize;
using zenithctl::parseSizeMiB;

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

TEST(ClientCliSizes, MiBVariantCountsBareNumbersInMiB)
{
    EXPECT_EQ(parseSizeMiB("2048", "memory_max").value(), 2ull << 30);  // cloudpod-create.sh --mem 2048
    EXPECT_EQ(parseSizeMiB("512", "memory_max").value(), 512ull << 20);
    EXPECT_EQ(parseSizeMiB("1.5", "memory_max").value(), 3ull << 19);
    EXPECT_EQ(parseSizeMiB("2G", "memory_max").value(), 2ull << 30);  // a unit works as in parseSize
    EXPECT_EQ(parseSizeMiB("512k", "memory_max").value(), 512ull << 10);
    EXPECT_EQ(parseSizeMiB("4096B", "memory_max").value(), 4096ull);  // explicit bytes
    EXPECT_EQ(parseSizeMiB("0", "memory_max").value(), 0ull);
    for (const char* bad : {"", "M", "2048X", "-1", "1.", "17592186044416"}) {  // the last: 2^64 bytes
        auto r = parseSizeMiB(bad, "memory_max");
        ASSERT_FALSE(r.has_value()) << bad;
        EXPECT_EQ(r.error().message.rfind("memory_max:", 0), 0u) << r.error().message;
        EXPECT_NE(r.error().message.find("MiB"), std::string::npos) << r.error().message;
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
