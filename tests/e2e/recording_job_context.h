// A JobContext that records every progress report, so tests can check that
// steps come in order and the fraction never goes back, and that can cancel
// itself when a chosen point is reached.
#pragma once

#include <functional>
#include <mutex>
#include <stop_token>
#include <string>
#include <vector>

#include "drivers/driver.h"

namespace zenith::e2e {

class RecordingJobContext final : public drivers::JobContext {
public:
    struct Event {
        double fraction;
        std::string step, message;
    };

    // Cancels the job the first time it returns true for a report.
    std::function<bool(double fraction, const std::string& step)> cancelWhen;

    void progress(double fraction, std::string_view step, std::string_view message) override
    {
        std::lock_guard lock(mutex_);
        events_.push_back({fraction, std::string(step), std::string(message)});
        if (cancelWhen && !stop_.stop_requested() && cancelWhen(fraction, std::string(step)))
            stop_.request_stop();
    }
    void cancel() { stop_.request_stop(); }
    bool cancelRequested() const override { return stop_.stop_requested(); }
    std::stop_token stopToken() const override { return stop_.get_token(); }
    void setCancelable(bool c) override { cancelable_ = c; }

    std::vector<Event> events() const
    {
        std::lock_guard lock(mutex_);
        return events_;
    }
    std::vector<std::string> steps() const
    {
        std::vector<std::string> out;
        for (const auto& e : events())
            if (out.empty() || out.back() != e.step)
                out.push_back(e.step);
        return out;
    }
    bool monotonic() const
    {
        auto ev = events();
        for (size_t i = 1; i < ev.size(); ++i)
            if (ev[i].fraction < ev[i - 1].fraction)
                return false;
        return true;
    }
    size_t countOf(const std::string& step) const
    {
        size_t n = 0;
        for (const auto& e : events())
            n += e.step == step;
        return n;
    }
    bool cancelable() const { return cancelable_; }

private:
    mutable std::mutex mutex_;
    std::vector<Event> events_;
    std::stop_source stop_;
    bool cancelable_ = true;
};

}  // namespace zenith::e2e
