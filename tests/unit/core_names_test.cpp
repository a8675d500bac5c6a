#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "core/names.h"

using namespace zenith::core;
using ::testing::HasSubstr;

namespace {

TEST(CoreNames, AcceptsValidNames)
{
    for (std::string name : {std::string("a"), std::string("web1"), std::string("web-1"), std::string("a-"),
                             std::string("z9"), std::string("db-primary-01"), std::string("a") + std::string(62, 'b')}) {
        SCOPED_TRACE(name);
        EXPECT_TRUE(validateMachineName(name).has_value());
    }
    EXPECT_TRUE(validateMachineName(std::string(63, 'z')).has_value());  // exactly 63: the upper bound
}

TEST(CoreNames, RejectsInvalidNames)
{
    const std::string sixtyFour = std::string("a") + std::string(63, 'b');
    for (std::string name : {std::string(), sixtyFour, std::string("1web"), std::string("Web"), std::string("wEb"),
                             std::string("web_1"), std::string("-web"), std::string("web.1"), std::string("web 1"),
                             std::string("web/1"), std::string("caf\xc3\xa9"), std::string("a\nb"),
                             std::string("a\0b", 3)}) {
        SCOPED_TRACE(name);
        auto r = validateMachineName(name);
        ASSERT_FALSE(r.has_value());
        EXPECT_EQ(r.error().code, ErrorCode::InvalidArgs);
        EXPECT_THAT(r.error().message, HasSubstr("^[a-z][a-z0-9-]{0,62}$"));
        EXPECT_THAT(r.error().message, HasSubstr("invalid name"));
    }
}

TEST(CoreNames, ErrorNamesTheArgumentAndTheReason)
{
    auto r = validateMachineName("Web", "new_name");
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message, HasSubstr("invalid new_name 'Web'"));
    EXPECT_THAT(r.error().message, HasSubstr("does not start with a lowercase letter"));

    r = validateMachineName(std::string(64, 'a'));
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message, HasSubstr("64 characters long, at most 63"));

    r = validateMachineName("web_1");
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message, HasSubstr("character '_' at position 4"));
}

TEST(CoreNames, ErrorEscapesControlCharacters)
{
    auto r = validateMachineName("a\nb");
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message, HasSubstr("'a\\x0ab'"));
    EXPECT_EQ(r.error().message.find('\n'), std::string::npos);
}

TEST(CoreNames, EscapesLikeSystemd)
{
    // Examples from systemd's test-bus-util / machined object paths.
    EXPECT_EQ(busLabelEscape(""), "_");
    EXPECT_EQ(busLabelEscape("foo"), "foo");
    EXPECT_EQ(busLabelEscape("web1"), "web1");
    EXPECT_EQ(busLabelEscape("web-1"), "web_2d1");
    EXPECT_EQ(busLabelEscape("1web"), "_31web");
    EXPECT_EQ(busLabelEscape("foo.service"), "foo_2eservice");
    EXPECT_EQ(busLabelEscape("systemd-nspawn@web.service"), "systemd_2dnspawn_40web_2eservice");
    EXPECT_EQ(busLabelEscape("a_b"), "a_5fb");
    EXPECT_EQ(busLabelEscape("ABCxyz"), "ABCxyz");
    EXPECT_EQ(busLabelEscape("/"), "_2f");
    EXPECT_EQ(busLabelEscape("\xff"), "_ff");
    EXPECT_EQ(busLabelEscape(std::string("\0", 1)), "_00");
}

TEST(CoreNames, UnescapesLikeSystemd)
{
    EXPECT_EQ(busLabelUnescape("_"), std::string());
    EXPECT_EQ(busLabelUnescape("foo"), "foo");
    EXPECT_EQ(busLabelUnescape("web_2d1"), "web-1");
    EXPECT_EQ(busLabelUnescape("_31web"), "1web");
    EXPECT_EQ(busLabelUnescape("foo_2Eservice"), "foo.service");  // systemd accepts uppercase hex
    EXPECT_EQ(busLabelUnescape("_ff"), "\xff");
}

TEST(CoreNames, UnescapeRejectsMalformedLabels)
{
    for (std::string label : {"", "_2", "_zz", "a_", "a_g1", "web-1", "a/b", "a.b", "__"}) {
        SCOPED_TRACE(label);
        EXPECT_FALSE(busLabelUnescape(label).has_value());
    }
}

TEST(CoreNames, RoundTripsEveryByte)
{
    std::string all;
    for (int c = 0; c < 256; ++c)
        all += static_cast<char>(c);
    for (std::string s : {all, std::string("0"), std::string("9abc"), std::string("_"), std::string("__x"),
                          std::string("-"), std::string("a0"), std::string(1, '\0')}) {
        std::string label = busLabelEscape(s);
        for (char c : label)
            ASSERT_TRUE((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')
                << "label byte " << int(static_cast<unsigned char>(c));
        ASSERT_FALSE(label[0] >= '0' && label[0] <= '9');
        auto back = busLabelUnescape(label);
        ASSERT_TRUE(back.has_value()) << label;
        EXPECT_EQ(*back, s);
    }
}

TEST(CoreNames, RoundTripsPseudoRandomStrings)
{
    uint32_t x = 12345;
    for (int n = 0; n < 500; ++n) {
        std::string s;
        size_t len = (x = x * 1103515245u + 12345u) % 40;
        for (size_t i = 0; i < len; ++i)
            s += static_cast<char>((x = x * 1103515245u + 12345u) >> 16);
        EXPECT_EQ(busLabelUnescape(busLabelEscape(s)), s);
    }
}

TEST(CoreNames, ObjectPaths)
{
    EXPECT_EQ(machineObjectPath("web1"), "/org/zenith/Provisioner/machine/web1");
    EXPECT_EQ(machineObjectPath("web-1"), "/org/zenith/Provisioner/machine/web_2d1");
    EXPECT_EQ(machineObjectPath(""), "/org/zenith/Provisioner/machine/_");
    EXPECT_EQ(jobObjectPath(0), "/org/zenith/Provisioner/job/0");
    EXPECT_EQ(jobObjectPath(42), "/org/zenith/Provisioner/job/42");
    EXPECT_EQ(jobObjectPath(4294967295u), "/org/zenith/Provisioner/job/4294967295");
}

}  // namespace
