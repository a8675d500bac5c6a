#include <gtest/gtest.h>

#include "core/inet.h"
#include "core/size_units.h"
#include "core/text_quote.h"

using namespace zenith::core;

namespace {

TEST(CoreSizeUnits, ParsesBase1024Suffixes)
{
    EXPECT_EQ(parseSize("0"), 0u);
    EXPECT_EQ(parseSize("1000"), 1000u);
    EXPECT_EQ(parseSize("1K"), 1024u);
    EXPECT_EQ(parseSize("256M"), 256ull << 20);
    EXPECT_EQ(parseSize("8G"), 8ull << 30);
    EXPECT_EQ(parseSize("8g"), 8ull << 30);
    EXPECT_EQ(parseSize("2T"), 2ull << 40);
    EXPECT_EQ(parseSize("16777215T"), 16777215ull << 40);
    EXPECT_EQ(parseSize("18446744073709551615"), UINT64_MAX);
}

TEST(CoreSizeUnits, RejectsMalformedOrOverflowing)
{
    for (const char* bad : {"", "G", "-1", "+1", "1.5G", "1 G", "1GB", "1P", "0x10", "16777216T",
                            "18446744073709551616"})
        EXPECT_FALSE(parseSize(bad).has_value()) << bad;
}

TEST(CoreSizeUnits, FormatsExactly)
{
    EXPECT_EQ(formatSize(0), "0");
    EXPECT_EQ(formatSize(1000), "1000");
    EXPECT_EQ(formatSize(1024), "1K");
    EXPECT_EQ(formatSize(1536), "1536");
    EXPECT_EQ(formatSize(256ull << 20), "256M");
    EXPECT_EQ(formatSize((256ull << 20) - 1), "268435455");
    EXPECT_EQ(formatSize(100ull << 30), "100G");
    EXPECT_EQ(formatSize(2048ull << 30), "2T");
}

TEST(CoreInet, Ipv4)
{
    EXPECT_EQ(parseIpv4("10.1.10.91"), 0x0a010a5bu);
    EXPECT_EQ(parseIpv4("255.255.255.255"), 0xffffffffu);
    for (const char* bad : {"", "10.1.10", "10.1.10.256", "010.1.1.1", " 10.1.1.1", "10.1.1.1 ", "a.b.c.d", "::1"})
        EXPECT_FALSE(parseIpv4(bad)) << bad;
    EXPECT_EQ(formatIpv4(0x0a010a5bu), "10.1.10.91");
    EXPECT_EQ(ipv4Netmask(0), 0u);
    EXPECT_EQ(ipv4Netmask(24), 0xffffff00u);
    EXPECT_EQ(ipv4Netmask(32), 0xffffffffu);
}

TEST(CoreInet, Prefixes)
{
    auto p = parseIpv4Prefix("10.1.10.91/24");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->address, 0x0a010a5bu);
    EXPECT_EQ(p->length, 24u);
    EXPECT_TRUE(parseIpv4Prefix("0.0.0.0/0"));
    for (const char* bad : {"10.1.10.91", "10.1.10.91/33", "10.1.10.91/-1", "10.1.10.91/08", "/24", "10.1.10.91/2 4"})
        EXPECT_FALSE(parseIpv4Prefix(bad)) << bad;
    EXPECT_TRUE(isIpv6WithOptionalPrefix("2001:db8::/32"));
    EXPECT_TRUE(isIpv6WithOptionalPrefix("::"));
    EXPECT_FALSE(isIpv6WithOptionalPrefix("2001:db8::/129"));
    EXPECT_FALSE(isIpv6WithOptionalPrefix("10.0.0.0/8"));
    EXPECT_TRUE(isIpAddress("::ffff:10.0.0.1"));
    EXPECT_FALSE(isIpAddress("localhost"));
}

TEST(CoreInet, InterfaceNames)
{
    EXPECT_TRUE(isInterfaceName("br0"));
    EXPECT_TRUE(isInterfaceName("vb-web1.100"));
    EXPECT_TRUE(isInterfaceName(std::string(15, 'x')));
    EXPECT_FALSE(isInterfaceName(std::string(16, 'x')));
    for (const char* bad : {"", ".", "..", "br 0", "br/0", "br:0"})
        EXPECT_FALSE(isInterfaceName(bad)) << bad;
}

TEST(CoreTextQuote, EscapesAndTruncates)
{
    EXPECT_EQ(quoteForMessage("web1"), "'web1'");
    EXPECT_EQ(quoteForMessage("a\nb\x7f"), "'a\\x0ab\\x7f'");
    EXPECT_EQ(quoteForMessage("it's"), "'it\\x27s'");
    EXPECT_EQ(quoteForMessage(std::string(100, 'a'), 5), "'aaaaa...'");
    EXPECT_TRUE(hasControlChars("a\tb"));
    EXPECT_TRUE(hasControlChars(std::string(1, '\0')));
    EXPECT_FALSE(hasControlChars("caf\xc3\xa9 ok"));
}

TEST(CoreUnits, TimeSpansAsSystemdWritesThem)
{
    EXPECT_EQ(parseTimeSpan("30"), 30u);
    EXPECT_EQ(parseTimeSpan("30s"), 30u);
    EXPECT_EQ(parseTimeSpan("2min"), 120u);
    EXPECT_EQ(parseTimeSpan("1h"), 3600u);
    EXPECT_EQ(parseTimeSpan("90d"), 90u * 86400);
    EXPECT_EQ(parseTimeSpan("1w 2d"), 9u * 86400);
    EXPECT_EQ(parseTimeSpan("1y"), 31557600u);
    for (const char* bad : {"", " ", "d", "1x", "-1", "1.5h", "101y", "99999999999999999999"})
        EXPECT_FALSE(parseTimeSpan(bad)) << bad;
}

}  // namespace
