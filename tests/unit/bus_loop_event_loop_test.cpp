// The sd-event loop: tasks posted from other threads run on the loop in
// posting order, one-shot timers fire once (or never, when cancelled), and
// a blocked signal reaches its handler.
#include <gtest/gtest.h>

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <thread>

#include "bus_loop/event_loop.h"

using namespace zenith;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<busloop::EventLoop> makeLoop()
{
    auto loop = busloop::EventLoop::create();
    EXPECT_TRUE(loop);
    return std::move(*loop);
}

}  // namespace

TEST(BusLoopEventLoop, PostedTasksRunOnTheLoopInOrder)
{
    auto loop = makeLoop();
    constexpr int kThreads = 4, kPerThread = 500;
    std::vector<std::vector<int>> seen(kThreads);
    std::atomic<int> total{0};
    const auto loopThread = std::this_thread::get_id();
    bool allOnLoop = true;
    std::vector<std::jthread> posters;
    for (int t = 0; t < kThreads; ++t)
        posters.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i)
                ASSERT_TRUE(loop->post([&, t, i] {
                    allOnLoop = allOnLoop && std::this_thread::get_id() == loopThread;
                    seen[t].push_back(i);
                    if (++total == kThreads * kPerThread)
                        loop->exit(0);
                }));
        });
    auto guard = loop->addTimer(10s, [&] { loop->exit(3); });
    EXPECT_EQ(loop->run(), 0);
    EXPECT_TRUE(allOnLoop);
    for (int t = 0; t < kThreads; ++t) {
        ASSERT_EQ(seen[t].size(), size_t(kPerThread));
        for (int i = 0; i < kPerThread; ++i)
            ASSERT_EQ(seen[t][i], i);
    }
}

TEST(BusLoopEventLoop, PostRefusedAfterTheLoopEnded)
{
    auto loop = makeLoop();
    ASSERT_TRUE(loop->post([&] { loop->exit(0); }));
    EXPECT_EQ(loop->run(), 0);
    bool ran = false;
    EXPECT_FALSE(loop->post([&] { ran = true; }));
    loop->runPosted();
    EXPECT_FALSE(ran);
}

TEST(BusLoopEventLoop, RunPostedRunsQueuedTasksNow)
{
    auto loop = makeLoop();
    std::vector<int> order;
    loop->post([&] { order.push_back(1); });
    loop->post([&] { order.push_back(2); });
    EXPECT_TRUE(order.empty());
    loop->runPosted();
    EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(BusLoopEventLoop, TimersFireOnceAfterTheirDelayAndCancelledOnesNever)
{
    auto loop = makeLoop();
    int fired = 0, cancelledFired = 0;
    const auto start = std::chrono::steady_clock::now();
    std::chrono::steady_clock::duration firedAfter{};
    busloop::EventLoop::Timer stop;
    auto cancelled = loop->addTimer(20ms, [&] { ++cancelledFired; });
    auto timer = loop->addTimer(50ms, [&] {
        ++fired;
        firedAfter = std::chrono::steady_clock::now() - start;
        // The end is armed from here, so it comes after this callback
        // however late a loaded machine runs the loop (two timers due at
        // once may run in either order). By then the cancelled timer's
        // time has long passed.
        stop = loop->addTimer(30ms, [&] { loop->exit(0); });
    });
    ASSERT_TRUE(timer);
    cancelled.cancel();
    EXPECT_FALSE(cancelled);
    auto guard = loop->addTimer(60s, [&] { loop->exit(3); });  // a hang, not a speed goal
    EXPECT_EQ(loop->run(), 0);
    EXPECT_EQ(fired, 1);
    EXPECT_EQ(cancelledFired, 0);
    EXPECT_GE(firedAfter, 45ms);  // a lower bound: load only makes it later
}

TEST(BusLoopEventLoop, TimerMayDestroyItselfInItsCallback)
{
    auto loop = makeLoop();
    auto holder = std::make_unique<busloop::EventLoop::Timer>();
    bool ran = false;
    *holder = loop->addTimer(1ms, [&] {
        ran = true;
        holder.reset();  // what a lingering job's expiry does to its own object
        loop->exit(0);
    });
    EXPECT_EQ(loop->run(), 0);
    EXPECT_TRUE(ran);
    EXPECT_FALSE(holder);
}

TEST(BusLoopEventLoop, BlockedSignalReachesHandler)
{
    sigset_t mask, old;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR2);
    ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &mask, &old), 0);
    {
        auto loop = makeLoop();
        int got = 0;
        ASSERT_TRUE(loop->onSignals({SIGUSR2}, [&](int sig) {
            got = sig;
            loop->exit(0);
        }));
        auto guard = loop->addTimer(5s, [&] { loop->exit(2); });
        loop->post([] { raise(SIGUSR2); });
        EXPECT_EQ(loop->run(), 0);
        EXPECT_EQ(got, SIGUSR2);
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
}
