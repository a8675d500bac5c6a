// One sd-event loop on the main thread drives everything that touches the
// bus: the sdbus-c++ connection (without its internal thread), tasks posted
// by engine worker threads, one-shot timers and SIGTERM/SIGINT.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <thread>

#include <sdbus-c++/IConnection.h>

#include "core/error.h"

struct sd_event;
struct sd_event_source;
struct signalfd_siginfo;

namespace zenith::busloop {

class EventLoop {
public:
    // A pending one-shot timer; destroying it cancels the callback.
    class Timer {
    public:
        Timer();
        Timer(Timer&&) noexcept;
        Timer& operator=(Timer&&) noexcept;
        ~Timer();
        explicit operator bool() const { return state_ != nullptr; }
        void cancel();

    private:
        friend class EventLoop;
        struct State;
        std::unique_ptr<State> state_;
    };

    static core::Result<std::unique_ptr<EventLoop>> create();
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    // Drive `connection` from this loop. The connection must outlive the
    // loop's run() and must not run its own event loop thread.
    core::Result<void> attach(sdbus::IConnection& connection);

    // Thread-safe: run `task` on the loop thread, in posting order. Returns
    // false (and drops the task) once the loop has finished running.
    bool post(std::function<void()> task);
    // Loop thread only: run the tasks posted so far, now (so that objects a
    // call created exist before its reply is sent).
    void runPosted();

    // Loop thread only.
    Timer addTimer(std::chrono::microseconds delay, std::function<void()> callback);

    // The signals must already be blocked in every thread (block them in
    // main before any thread starts); `handler` runs on the loop.
    core::Result<void> onSignals(std::initializer_list<int> signals, std::function<void(int)> handler);

    // Runs until exit(); returns the exit code. After it returns, post()
    // refuses new tasks.
    int run();
    void exit(int code);  // loop thread only
    bool inLoopThread() const { return std::this_thread::get_id() == loopThread_; }

private:
    EventLoop() = default;
    static int onBusIo(sd_event_source*, int, uint32_t, void*);
    static int onBusTimer(sd_event_source*, uint64_t, void*);
    static int onBusPrepare(sd_event_source*, void*);
    static int onWakeup(sd_event_source*, int, uint32_t, void*);
    static int onTimer(sd_event_source*, uint64_t, void*);
    static int onSignal(sd_event_source*, const ::signalfd_siginfo*, void*);
    void processBus();

    sd_event* event_ = nullptr;
    sdbus::IConnection* connection_ = nullptr;
    sd_event_source* busIo_ = nullptr;
    sd_event_source* busTime_ = nullptr;
    sd_event_source* wakeSource_ = nullptr;
    int wakeFd_ = -1;
    std::vector<sd_event_source*> signalSources_;
    std::function<void(int)> signalHandler_;

    std::mutex mu_;
    std::deque<std::function<void()>> queue_;
    bool closed_ = false;
    std::thread::id loopThread_ = std::this_thread::get_id();
};

}  // namespace zenith::busloop
