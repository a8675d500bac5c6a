// Progress signals: at most one per 100 ms per job, the latest value always
// emitted when the interval ends.
#include <gtest/gtest.h>

#include "dbus/progress_coalescer.h"

using namespace std::chrono_literals;
using zenith::dbus::ProgressCoalescer;
using Decision = ProgressCoalescer::Decision;

TEST(DbusProgressCoalescer, FirstChangeGoesOutAtOnce)
{
    ProgressCoalescer c;
    EXPECT_EQ(c.offer(ProgressCoalescer::Clock::time_point{} + 5s), Decision::EmitNow);
    EXPECT_FALSE(c.pending());
}

TEST(DbusProgressCoalescer, ChangesInsideTheIntervalAreHeldThenFlushed)
{
    ProgressCoalescer c;
    auto t0 = ProgressCoalescer::Clock::time_point{} + 1s;
    ASSERT_EQ(c.offer(t0), Decision::EmitNow);
    EXPECT_EQ(c.offer(t0 + 10ms), Decision::Schedule);
    EXPECT_EQ(c.delay(t0 + 10ms), 90ms);
    EXPECT_EQ(c.offer(t0 + 20ms), Decision::AlreadyScheduled);
    EXPECT_TRUE(c.pending());
    EXPECT_TRUE(c.flush(t0 + 100ms));
    EXPECT_FALSE(c.pending());
    EXPECT_FALSE(c.flush(t0 + 150ms)) << "nothing held: nothing to emit";
    // The flush counted as an emission: the next change waits again.
    EXPECT_EQ(c.offer(t0 + 150ms), Decision::Schedule);
    EXPECT_EQ(c.delay(t0 + 150ms), 50ms);
}

TEST(DbusProgressCoalescer, AThousandUpdatesASecondBecomeAtMostElevenEmissions)
{
    ProgressCoalescer c;
    auto t = ProgressCoalescer::Clock::time_point{} + 1s;
    const auto end = t + 1s;
    std::optional<ProgressCoalescer::Clock::time_point> due;
    int emitted = 0;
    for (; t < end; t += 1ms) {
        if (due && t >= *due) {
            due.reset();
            emitted += c.flush(t);
        }
        switch (c.offer(t)) {
        case Decision::EmitNow: ++emitted; break;
        case Decision::Schedule: due = t + c.delay(t); break;
        case Decision::AlreadyScheduled: break;
        }
    }
    // The job ends: whatever is held goes out.
    emitted += c.flush(t);
    EXPECT_GE(emitted, 9);
    EXPECT_LE(emitted, 11);
    EXPECT_FALSE(c.pending());
}

TEST(DbusProgressCoalescer, SlowUpdatesAreNeverDelayed)
{
    ProgressCoalescer c;
    auto t = ProgressCoalescer::Clock::time_point{} + 1s;
    for (int i = 0; i < 5; ++i, t += 250ms)
        EXPECT_EQ(c.offer(t), Decision::EmitNow);
}
