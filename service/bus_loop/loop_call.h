// A worker thread's way to use the bus: the call is started on the loop
// (sd-bus is not thread-safe) and the worker waits for its answer, giving up
// on cancel, timeout, or a loop that no longer runs.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>

#include "core/error.h"
#include "bus_loop/event_loop.h"

namespace zenith::busloop {

template <typename T>
class LoopCall {
public:
    using Answer = std::function<void(core::Result<T>)>;

    // `start` runs on the loop and must call its Answer exactly once (later
    // is fine). Answers that come after the worker gave up are dropped.
    static core::Result<T> run(EventLoop& loop, std::function<void(Answer)> start, std::chrono::milliseconds timeout,
                               std::stop_token cancel = {})
    {
        auto state = std::make_shared<State>();
        bool posted = loop.post([state, start = std::move(start)] {
            start([state](core::Result<T> r) {
                std::lock_guard lock(state->mu);
                if (!state->answer)
                    state->answer.emplace(std::move(r));
                state->cv.notify_all();
            });
        });
        if (!posted)
            return core::fail(core::ErrorCode::BackendUnavailable, "the service is stopping");
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        std::unique_lock lock(state->mu);
        state->cv.wait_until(lock, cancel, deadline, [&] { return state->answer.has_value(); });
        if (state->answer)
            return std::move(*state->answer);
        if (cancel.stop_requested())
            return core::fail(core::ErrorCode::Cancelled, "cancelled");
        return core::fail(core::ErrorCode::BackendFailed, "no answer from the bus in time");
    }

private:
    struct State {
        std::mutex mu;
        std::condition_variable_any cv;
        std::optional<core::Result<T>> answer;
    };
};

}  // namespace zenith::busloop
