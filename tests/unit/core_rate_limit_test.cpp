// Refusals of one uid: a burst is written, then one per interval; what is
// held back is counted and reported with the next one written.
#include <gtest/gtest.h>

#include "core/rate_limit.h"

namespace {

using zenith::core::UidRateLimiter;
using namespace std::chrono_literals;

TEST(CoreRateLimit, BurstThenOnePerIntervalWithTheHeldBackCount)
{
    UidRateLimiter limiter(3, 2s);
    const auto t0 = UidRateLimiter::Clock::time_point{} + 1h;
    for (int i = 0; i < 3; ++i)
        EXPECT_TRUE(limiter.admit(1000, t0).record);
    for (int i = 0; i < 5; ++i)
        EXPECT_FALSE(limiter.admit(1000, t0 + 1s).record);
    // Another uid has its own bucket.
    EXPECT_TRUE(limiter.admit(1001, t0 + 1s).record);
    auto d = limiter.admit(1000, t0 + 2s);
    EXPECT_TRUE(d.record);
    EXPECT_EQ(d.suppressed, 5u);
    EXPECT_FALSE(limiter.admit(1000, t0 + 2s).record);
    auto drained = limiter.drainSuppressed();
    ASSERT_EQ(drained.size(), 1u);
    EXPECT_EQ(drained[0], (std::pair<uint32_t, uint64_t>{1000, 1}));
    EXPECT_TRUE(limiter.drainSuppressed().empty());
    // A long quiet time refills the burst, not more.
    for (int i = 0; i < 3; ++i)
        EXPECT_TRUE(limiter.admit(1000, t0 + 1h).record);
    EXPECT_FALSE(limiter.admit(1000, t0 + 1h).record);
}

TEST(CoreRateLimit, TheTableOfUidsStaysBounded)
{
    UidRateLimiter limiter(1, 1s);
    auto t = UidRateLimiter::Clock::time_point{} + 1h;
    for (uint32_t uid = 0; uid < 20000; ++uid)
        limiter.admit(uid, t + std::chrono::seconds(uid / 1000));
    EXPECT_LE(limiter.trackedUids(), 5000u);
}

}  // namespace
