// Rate limit for a job's progress signals: clients drowned in thousands of
// updates (PackageKit batches to ~100 ms for that reason). At most one
// emission per interval; a change inside the interval is held and emitted
// when it ends, so the latest value always goes out.
#pragma once

#include <chrono>
#include <optional>

namespace zenith::dbus {

class ProgressCoalescer {
public:
    using Clock = std::chrono::steady_clock;
    enum class Decision {
        EmitNow,           // emit now (recorded as emitted)
        Schedule,          // held: call flush() after delay()
        AlreadyScheduled,  // held: a flush is already due
    };

    explicit ProgressCoalescer(Clock::duration interval = std::chrono::milliseconds(100)) : interval_(interval) {}

    Decision offer(Clock::time_point now)
    {
        if (!scheduled_ && (!last_ || now - *last_ >= interval_)) {
            last_ = now;
            pending_ = false;
            return Decision::EmitNow;
        }
        pending_ = true;
        if (scheduled_)
            return Decision::AlreadyScheduled;
        scheduled_ = true;
        return Decision::Schedule;
    }

    Clock::duration delay(Clock::time_point now) const
    {
        if (!last_ || now - *last_ >= interval_)
            return Clock::duration::zero();
        return *last_ + interval_ - now;
    }

    // The scheduled time came, or the job finished: true when a held change
    // must be emitted now (recorded as emitted).
    bool flush(Clock::time_point now)
    {
        scheduled_ = false;
        if (!pending_)
            return false;
        pending_ = false;
        last_ = now;
        return true;
    }

    // An emission that bypassed the limit (a new step): the interval restarts
    // from here and nothing is held any more.
    void emittedNow(Clock::time_point now)
    {
        last_ = now;
        pending_ = false;
        scheduled_ = false;
    }

    bool pending() const { return pending_; }

private:
    Clock::duration interval_;
    std::optional<Clock::time_point> last_;
    bool pending_ = false;
    bool scheduled_ = false;
};

}  // namespace zenith::dbus
