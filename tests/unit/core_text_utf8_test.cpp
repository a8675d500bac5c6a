// Caller and tenant text made safe for D-Bus (valid UTF-8) and logs (one
// line, bounded): every output of these functions must be valid UTF-8,
// whatever bytes went in.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "core/names.h"
#include "core/text_quote.h"

namespace {

using namespace zenith::core;

bool validUtf8(std::string_view s)
{
    while (!s.empty()) {
        size_t n = utf8CharLength(s);
        if (n == 0)
            return false;
        s.remove_prefix(n);
    }
    return true;
}

TEST(CoreTextUtf8, CharLengthFollowsTheStandard)
{
    EXPECT_EQ(utf8CharLength("a"), 1u);
    EXPECT_EQ(utf8CharLength("\xc3\xa9"), 2u);          // é
    EXPECT_EQ(utf8CharLength("\xe2\x82\xac"), 3u);      // €
    EXPECT_EQ(utf8CharLength("\xf0\x9f\x98\x80"), 4u);  // 😀
    EXPECT_EQ(utf8CharLength("\xc3"), 0u);              // cut short
    EXPECT_EQ(utf8CharLength("\xa9"), 0u);              // lone continuation
    EXPECT_EQ(utf8CharLength("\xc0\xaf"), 0u);          // overlong '/'
    EXPECT_EQ(utf8CharLength("\xe0\x80\xaf"), 0u);      // overlong '/'
    EXPECT_EQ(utf8CharLength("\xf0\x80\x80\xaf"), 0u);  // overlong '/'
    EXPECT_EQ(utf8CharLength("\xed\xa0\x80"), 0u);      // surrogate U+D800
    EXPECT_EQ(utf8CharLength("\xf4\x90\x80\x80"), 0u);  // above U+10FFFF
    EXPECT_EQ(utf8CharLength("\xf5\x80\x80\x80"), 0u);
}

TEST(CoreTextUtf8, QuoteKeepsWholeCharactersAndEscapesBadBytes)
{
    EXPECT_EQ(quoteForMessage("caf\xc3\xa9"), "'caf\xc3\xa9'");
    EXPECT_EQ(quoteForMessage("a\xc3"), "'a\\xc3'");
    EXPECT_EQ(quoteForMessage("\xed\xa0\x80"), "'\\xed\\xa0\\x80'");
    EXPECT_EQ(quoteForMessage("\xc2\x85"), "'\\xc2\\x85'");  // C1 control NEL
    // Truncation counts characters: a multi-byte one is never split.
    EXPECT_EQ(quoteForMessage("\xc3\xa9\xc3\xa9\xc3\xa9", 2), "'\xc3\xa9\xc3\xa9...'");
}

TEST(CoreTextUtf8, MessagesKeepLinesButNotOtherControls)
{
    EXPECT_EQ(toValidUtf8("plan:\n- one\n\tand two"), "plan:\n- one\n\tand two");
    EXPECT_EQ(toValidUtf8("a\rb\x1b[31m"), "a\\x0db\\x1b[31m");
    EXPECT_EQ(toSingleLine("a\nb", 100), "a\\x0ab");
}

TEST(CoreTextUtf8, BoundedAtACharacterBoundary)
{
    EXPECT_EQ(toValidUtf8("abcd", 4), "abcd");
    EXPECT_EQ(toValidUtf8("abcde", 4), "a...");
    std::string euros;
    for (int i = 0; i < 10; ++i)
        euros += "\xe2\x82\xac";
    std::string cut = toValidUtf8(euros, 10);
    EXPECT_LE(cut.size(), 10u);
    EXPECT_TRUE(validUtf8(cut)) << cut;
    EXPECT_EQ(cut, "\xe2\x82\xac\xe2\x82\xac...");
    // A megabyte in, a bounded string out.
    EXPECT_LE(toSingleLine(std::string(1 << 20, 'x'), 64).size(), 64u);
}

// Whatever bytes go in, what comes out is valid UTF-8 within its bound.
TEST(CoreTextUtf8, RandomBytesAlwaysComeOutValid)
{
    std::mt19937 rng(4711);
    for (int round = 0; round < 2000; ++round) {
        std::string in(rng() % 200, '\0');
        for (auto& c : in)
            c = static_cast<char>(rng() % 256);
        const size_t bound = 8 + rng() % 120;
        for (const std::string& out : {quoteForMessage(in, 40), toValidUtf8(in, bound), toSingleLine(in, bound)}) {
            ASSERT_TRUE(validUtf8(out)) << "round " << round;
            ASSERT_EQ(out.find('\0'), std::string::npos);
        }
        ASSERT_LE(toValidUtf8(in, bound).size(), bound);
        ASSERT_EQ(toSingleLine(in, bound).find('\n'), std::string::npos);
    }
}

// The bug this guards: a name with a multi-byte character was refused with a
// message that quoted one byte of it, which D-Bus would not send.
TEST(CoreTextUtf8, NameErrorsAreValidUtf8)
{
    for (std::string bad : {"web\xc3\xa9", "\xc3\xa9web", "we\xe2\x82\xac", "a\xf0\x9f\x98\x80"}) {
        auto r = validateMachineName(bad);
        ASSERT_FALSE(r);
        EXPECT_TRUE(validUtf8(r.error().message)) << r.error().message;
    }
    auto r = validateMachineName("web\xc3\xa9");
    EXPECT_NE(r.error().message.find("'\xc3\xa9' at position 4"), std::string::npos) << r.error().message;
}

}  // namespace
