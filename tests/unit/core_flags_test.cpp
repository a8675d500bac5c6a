#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/flags.h"

using namespace zenith::core;
using ::testing::HasSubstr;

namespace {

TEST(CoreFlags, KnownBitsMatchTheContract)
{
    EXPECT_EQ(kFlagForce, 1u);
    EXPECT_EQ(kFlagNoStart, 2u);
    EXPECT_EQ(kFlagDryRun, 4u);
    EXPECT_EQ(kFlagsKnown, 7u);
}

TEST(CoreFlags, AcceptsEveryCombinationOfKnownBits)
{
    for (uint64_t f = 0; f <= 7; ++f)
        EXPECT_TRUE(validateFlags(f).has_value()) << f;
}

TEST(CoreFlags, RejectsUnknownBitsNamingThemInHex)
{
    auto r = validateFlags(8);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgs);
    EXPECT_THAT(r.error().message, HasSubstr("flags"));
    EXPECT_THAT(r.error().message, HasSubstr("unknown bits 0x8"));

    r = validateFlags(0x8000000000000005ull);
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message, HasSubstr("unknown bits 0x8000000000000000"));

    r = validateFlags(0x30 | kFlagForce);
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message, HasSubstr("0x30"));
}

TEST(CoreFlags, HonoursANarrowerAllowedSet)
{
    EXPECT_TRUE(validateFlags(kFlagDryRun, kFlagDryRun));
    auto r = validateFlags(kFlagNoStart, kFlagForce | kFlagDryRun);
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message, HasSubstr("unknown bits 0x2"));
    EXPECT_THAT(r.error().message, HasSubstr("accepted bits: 0x5"));
}

}  // namespace
