#include "recording_job_context.h"

namespace zenith::testsupport {

void RecordingJobContext::cancelAtStep(std::string step)
{
    cancelWhen = [step = std::move(step)](double, const std::string& reported) { return reported == step; };
}

bool RecordingJobContext::cancel()
{
    std::lock_guard lock(mutex_);
    if (!cancelable_) {
        ++refused_;
        return false;
    }
    stop_.request_stop();
    return true;
}

void RecordingJobContext::progress(double fraction, std::string_view step, std::string_view message)
{
    std::function<bool(double, const std::string&)> ask;
    {
        std::lock_guard lock(mutex_);
        events_.push_back({fraction, std::string(step), std::string(message)});
        if (!stop_.stop_requested())
            ask = cancelWhen;
    }
    // Outside the lock: the predicate may look at this context.
    if (ask && ask(fraction, std::string(step))) {
        {
            std::lock_guard lock(mutex_);
            cancelWhen = nullptr;  // the first time only
        }
        cancel();
    }
}

void RecordingJobContext::setCancelable(bool cancelable)
{
    std::lock_guard lock(mutex_);
    cancelable_ = cancelable;
}

std::vector<RecordingJobContext::Event> RecordingJobContext::events() const
{
    std::lock_guard lock(mutex_);
    return events_;
}

std::vector<std::string> RecordingJobContext::steps() const
{
    std::vector<std::string> out;
    for (const auto& e : events())
        if (out.empty() || out.back() != e.step)
            out.push_back(e.step);
    return out;
}

bool RecordingJobContext::monotonic() const
{
    auto ev = events();
    for (size_t i = 1; i < ev.size(); ++i)
        if (ev[i].fraction < ev[i - 1].fraction)
            return false;
    return true;
}

size_t RecordingJobContext::countOf(const std::string& step) const
{
    size_t n = 0;
    for (const auto& e : events())
        n += e.step == step;
    return n;
}

bool RecordingJobContext::cancelable() const
{
    std::lock_guard lock(mutex_);
    return cancelable_;
}

void RecordingJobContext::checkpoint(std::string_view key, std::string_view value)
{
    std::lock_guard lock(mutex_);
    checkpoints_[std::string(key)] = std::string(value);
}

std::map<std::string, std::string> RecordingJobContext::checkpoints() const
{
    std::lock_guard lock(mutex_);
    return checkpoints_;
}

}  // namespace zenith::testsupport
