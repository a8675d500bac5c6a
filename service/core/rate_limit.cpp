#include "core/rate_limit.h"

#include <algorithm>

namespace zenith::core {

UidRateLimiter::UidRateLimiter(uint32_t burst, Clock::duration interval)
    : burst_(std::max<uint32_t>(burst, 1)), interval_(interval)
{
}

UidRateLimiter::Decision UidRateLimiter::admit(uint32_t uid, Clock::time_point now)
{
    auto it = buckets_.find(uid);
    if (it == buckets_.end()) {
        if (buckets_.size() >= kMaxTracked)
            forgetIdle(now);
        it = buckets_.emplace(uid, Bucket{double(burst_), now}).first;
    }
    Bucket& b = it->second;
    if (now > b.last && interval_.count() > 0) {
        const double refill = std::chrono::duration<double>(now - b.last) / interval_;
        b.tokens = std::min(double(burst_), b.tokens + refill);
    }
    b.last = std::max(b.last, now);
    if (b.tokens < 1.0) {
        ++b.suppressed;
        return {false, 0};
    }
    b.tokens -= 1.0;
    Decision d{true, b.suppressed};
    b.suppressed = 0;
    return d;
}

std::vector<std::pair<uint32_t, uint64_t>> UidRateLimiter::drainSuppressed()
{
    std::vector<std::pair<uint32_t, uint64_t>> out;
    for (auto& [uid, b] : buckets_)
        if (b.suppressed) {
            out.emplace_back(uid, b.suppressed);
            b.suppressed = 0;
        }
    return out;
}

void UidRateLimiter::forgetIdle(Clock::time_point now)
{
    // A bucket that refilled completely and holds nothing back carries no
    // information: forgetting it changes no decision.
    for (auto it = buckets_.begin(); it != buckets_.end();) {
        const Bucket& b = it->second;
        const double refill = interval_.count() > 0 ? std::chrono::duration<double>(now - b.last) / interval_ : burst_;
        if (b.suppressed == 0 && b.tokens + refill >= burst_)
            it = buckets_.erase(it);
        else
            ++it;
    }
}

}  // namespace zenith::core
