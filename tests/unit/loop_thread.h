// An EventLoop run on a thread of its own, as the daemon runs its loop on
// the main thread while the test drives clients from here. Stopped (on the
// loop, then joined) by stop() or when it goes.
#pragma once

#include <thread>

#include "bus_loop/event_loop.h"

namespace zenith::unittest {

class LoopThread {
public:
    explicit LoopThread(busloop::EventLoop& loop) : loop_(loop), thread_([this] { loop_.run(); }) {}
    ~LoopThread() { stop(); }
    LoopThread(const LoopThread&) = delete;
    LoopThread& operator=(const LoopThread&) = delete;

    void stop()
    {
        if (!thread_.joinable())
            return;
        loop_.post([this] { loop_.exit(0); });
        thread_.join();
    }

private:
    busloop::EventLoop& loop_;
    std::thread thread_;
};

}  // namespace zenith::unittest
