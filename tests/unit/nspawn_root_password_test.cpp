#include <crypt.h>

#include <gtest/gtest.h>

#include "drivers/nspawn/root_password.h"

using namespace zenith::drivers::nspawn;
using zenith::core::ErrorCode;
using zenith::core::Secret;

TEST(NspawnRootPassword, YescryptHashThatVerifies)
{
    auto h = hashPassword(Secret("correct horse"));
    ASSERT_TRUE(h) << h.error().message;
    EXPECT_TRUE(h->starts_with("$y$")) << *h;
    EXPECT_EQ(h->find("correct horse"), std::string::npos);
    EXPECT_STREQ(crypt("correct horse", h->c_str()), h->c_str());
    EXPECT_STRNE(crypt("wrong", h->c_str()), h->c_str());
    auto again = hashPassword(Secret("correct horse"));
    ASSERT_TRUE(again);
    EXPECT_NE(*again, *h);  // fresh salt each time
}

TEST(NspawnRootPassword, OnlyTheRootPasswordFieldChanges)
{
    std::string shadow =
        "root:*:20779:0:99999:7:::\n"
        "daemon:*:20779:0:99999:7:::\n"
        "rooty:!:20779:0:99999:7:::\n";
    auto r = replaceShadowPassword(shadow, "root", "$y$j9T$salt$hash");
    ASSERT_TRUE(r);
    EXPECT_EQ(*r,
              "root:$y$j9T$salt$hash:20779:0:99999:7:::\n"
              "daemon:*:20779:0:99999:7:::\n"
              "rooty:!:20779:0:99999:7:::\n");

    auto noNewline = replaceShadowPassword("daemon:*:1::::::\nroot:*:1::::::", "root", "$6$x$y");
    ASSERT_TRUE(noNewline);
    EXPECT_EQ(*noNewline, "daemon:*:1::::::\nroot:$6$x$y:1::::::");

    auto missing = replaceShadowPassword("daemon:*:1::::::\n", "root", "$6$x$y");
    ASSERT_FALSE(missing);
}

TEST(NspawnRootPassword, HashesThatCouldInjectAreRefused)
{
    EXPECT_TRUE(checkPasswordHash("$y$j9T$abcdefghijkl$ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./abcde"));
    EXPECT_TRUE(checkPasswordHash("$6$rounds=5000$salt$hash"));
    for (const char* bad : {"", "plaintext", "$6$a:b", "$6$a\nroot::0:0::::", "$6$ with space"}) {
        auto r = checkPasswordHash(bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().code, ErrorCode::InvalidArgs);
        EXPECT_TRUE(r.error().message.starts_with("password_hash")) << r.error().message;
    }
}
