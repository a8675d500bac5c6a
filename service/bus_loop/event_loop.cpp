#include "bus_loop/event_loop.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <fmt/format.h>
#include <sdbus-c++/Error.h>
#include <systemd/sd-event.h>

#include "core/log.h"

namespace zenith::busloop {

struct EventLoop::Timer::State {
    sd_event_source* source = nullptr;
    std::function<void()> callback;
};

EventLoop::Timer::Timer() = default;
EventLoop::Timer::Timer(Timer&&) noexcept = default;

EventLoop::Timer& EventLoop::Timer::operator=(Timer&& other) noexcept
{
    if (this != &other) {
        cancel();
        state_ = std::move(other.state_);
    }
    return *this;
}

EventLoop::Timer::~Timer()
{
    cancel();
}

void EventLoop::Timer::cancel()
{
    if (state_) {
        sd_event_source_disable_unref(state_->source);
        state_.reset();
    }
}

namespace {

core::Error sysError(std::string_view what, int negErrno)
{
    return core::Error{core::ErrorCode::BackendFailed, fmt::format("{}: {}", what, std::strerror(-negErrno))};
}


}  // namespace

core::Result<std::unique_ptr<EventLoop>> EventLoop::create()
{
    std::unique_ptr<EventLoop> loop(new EventLoop());
    int r = sd_event_new(&loop->event_);
    if (r < 0)
        return std::unexpected(sysError("cannot create the event loop", r));
    loop->wakeFd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (loop->wakeFd_ < 0)
        return std::unexpected(sysError("cannot create an eventfd", -errno));
    r = sd_event_add_io(loop->event_, &loop->wakeSource_, loop->wakeFd_, EPOLLIN, &EventLoop::onWakeup, loop.get());
    if (r < 0)
        return std::unexpected(sysError("cannot watch the eventfd", r));
    return loop;
}

EventLoop::~EventLoop()
{
    {
        std::lock_guard lock(mu_);
        closed_ = true;
        queue_.clear();
    }
    for (auto* s : signalSources_)
        sd_event_source_disable_unref(s);
    sd_event_source_disable_unref(busIo_);
    sd_event_source_disable_unref(busTime_);
    sd_event_source_disable_unref(wakeSource_);
    if (wakeFd_ >= 0)
        close(wakeFd_);
    sd_event_unref(event_);
}

core::Result<void> EventLoop::attach(sdbus::IConnection& connection)
{
    connection_ = &connection;
    int fd = -1;
    try {
        fd = connection.getEventLoopPollData().fd;
    } catch (const sdbus::Error& e) {
        return core::fail(core::ErrorCode::BackendFailed, "cannot get the bus fd: " + e.getMessage());
    }
    int r = sd_event_add_io(event_, &busIo_, fd, 0, &EventLoop::onBusIo, this);
    if (r < 0)
        return std::unexpected(sysError("cannot watch the bus fd", r));
    // sd-bus's wanted poll events and timeout change with every message in
    // or out, so they are refreshed just before each poll.
    r = sd_event_source_set_prepare(busIo_, &EventLoop::onBusPrepare);
    if (r < 0)
        return std::unexpected(sysError("cannot set the bus prepare callback", r));
    r = sd_event_add_time(event_, &busTime_, CLOCK_MONOTONIC, UINT64_MAX, 1, &EventLoop::onBusTimer, this);
    if (r < 0)
        return std::unexpected(sysError("cannot add the bus timer", r));
    sd_event_source_set_enabled(busTime_, SD_EVENT_OFF);
    return {};
}

int EventLoop::onBusPrepare(sd_event_source*, void* userdata)
{
    auto* self = static_cast<EventLoop*>(userdata);
    try {
        auto data = self->connection_->getEventLoopPollData();
        uint32_t events = 0;
        if (data.events & POLLIN)
            events |= EPOLLIN;
        if (data.events & POLLOUT)
            events |= EPOLLOUT;
        sd_event_source_set_io_events(self->busIo_, events);
        // timeout_usec is absolute CLOCK_MONOTONIC; 0 means "messages are
        // already queued, process now"; UINT64_MAX means none.
        if (data.timeout_usec == UINT64_MAX) {
            sd_event_source_set_enabled(self->busTime_, SD_EVENT_OFF);
        } else {
            sd_event_source_set_time(self->busTime_, data.timeout_usec);
            sd_event_source_set_enabled(self->busTime_, SD_EVENT_ONESHOT);
        }
    } catch (const sdbus::Error& e) {
        log::error({}, "bus connection failed: {}", e.getMessage());
        sd_event_exit(self->event_, 1);
    }
    return 0;
}

void EventLoop::processBus()
{
    try {
        while (connection_->processPendingRequest()) {
        }
    } catch (const sdbus::Error& e) {
        // The connection is gone (e.g. the bus daemon exited): nothing on
        // the bus can work any more, so stop with a failure.
        log::error({}, "bus connection failed: {}", e.getMessage());
        sd_event_exit(event_, 1);
    }
}

int EventLoop::onBusIo(sd_event_source*, int, uint32_t, void* userdata)
{
    static_cast<EventLoop*>(userdata)->processBus();
    return 0;
}

int EventLoop::onBusTimer(sd_event_source*, uint64_t, void* userdata)
{
    static_cast<EventLoop*>(userdata)->processBus();
    return 0;
}

bool EventLoop::post(std::function<void()> task)
{
    {
        std::lock_guard lock(mu_);
        if (closed_)
            return false;
        queue_.push_back(std::move(task));
    }
    const uint64_t one = 1;
    // EAGAIN only when the counter is saturated, which still wakes the loop.
    [[maybe_unused]] auto n = write(wakeFd_, &one, sizeof one);
    return true;
}

void EventLoop::runPosted()
{
    for (;;) {
        std::function<void()> task;
        {
            std::lock_guard lock(mu_);
            if (queue_.empty())
                return;
            task = std::move(queue_.front());
            queue_.pop_front();
        }
        try {
            task();
        } catch (const std::exception& e) {
            log::error({}, "posted task failed: {}", e.what());
        }
    }
}

int EventLoop::onWakeup(sd_event_source*, int fd, uint32_t, void* userdata)
{
    uint64_t count = 0;
    [[maybe_unused]] auto n = read(fd, &count, sizeof count);
    static_cast<EventLoop*>(userdata)->runPosted();
    return 0;
}

EventLoop::Timer EventLoop::addTimer(std::chrono::microseconds delay, std::function<void()> callback)
{
    Timer timer;
    timer.state_ = std::make_unique<Timer::State>();
    timer.state_->callback = std::move(callback);
    uint64_t now = 0;
    sd_event_now(event_, CLOCK_MONOTONIC, &now);
    uint64_t when = now + uint64_t(std::max<int64_t>(delay.count(), 0));
    int r = sd_event_add_time(event_, &timer.state_->source, CLOCK_MONOTONIC, when, 1000, &EventLoop::onTimer,
                              timer.state_.get());
    if (r < 0) {
        log::error({}, "cannot add a timer: {}", std::strerror(-r));
        timer.state_.reset();
    }
    return timer;
}

int EventLoop::onTimer(sd_event_source*, uint64_t, void* userdata)
{
    // The callback may destroy its own Timer (and so this State): run a copy
    // taken out of it first.
    auto callback = std::move(static_cast<Timer::State*>(userdata)->callback);
    try {
        if (callback)
            callback();
    } catch (const std::exception& e) {
        log::error({}, "timer callback failed: {}", e.what());
    }
    return 0;
}

core::Result<void> EventLoop::onSignals(std::initializer_list<int> signals, std::function<void(int)> handler)
{
    signalHandler_ = std::move(handler);
    for (int sig : signals) {
        sd_event_source* s = nullptr;
        int r = sd_event_add_signal(event_, &s, sig, &EventLoop::onSignal, this);
        if (r < 0)
            return std::unexpected(sysError(fmt::format("cannot watch signal {}", sig), r));
        signalSources_.push_back(s);
    }
    return {};
}

int EventLoop::onSignal(sd_event_source*, const ::signalfd_siginfo* info, void* userdata)
{
    auto* self = static_cast<EventLoop*>(userdata);
    if (self->signalHandler_)
        self->signalHandler_(int(info->ssi_signo));
    return 0;
}

int EventLoop::run()
{
    loopThread_ = std::this_thread::get_id();
    runPosted();
    int r = sd_event_loop(event_);
    {
        std::lock_guard lock(mu_);
        closed_ = true;
        queue_.clear();
    }
    return r < 0 ? 1 : r;
}

void EventLoop::exit(int code)
{
    sd_event_exit(event_, code);
}

}  // namespace zenith::busloop
