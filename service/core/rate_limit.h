// A token bucket per uid, for what one caller can make the daemon write about
// its refused requests (log lines, audit rows). Anyone may call the bus, so
// an outsider repeating a refused call must not fill the log or push real
// audit entries out: past the burst, refusals are counted, not written, and
// the count is written with the next refusal that passes (or at shutdown).
// Pure and single-threaded: the bus facade calls it from its loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <vector>

namespace zenith::core {

class UidRateLimiter {
public:
    using Clock = std::chrono::steady_clock;

    // `burst` refusals at once, then one every `interval`.
    UidRateLimiter(uint32_t burst, Clock::duration interval);

    struct Decision {
        bool record = false;      // write this one
        uint64_t suppressed = 0;  // refusals not written since the last written one
    };
    Decision admit(uint32_t uid, Clock::time_point now = Clock::now());

    // (uid, count) of refusals that were held back and not yet reported; clears them.
    std::vector<std::pair<uint32_t, uint64_t>> drainSuppressed();

    size_t trackedUids() const { return buckets_.size(); }

private:
    struct Bucket {
        double tokens;
        Clock::time_point last;
        uint64_t suppressed = 0;
    };
    // Uids are few on a real host, but the table is bounded all the same:
    // past this, full buckets (nothing held back) are forgotten.
    static constexpr size_t kMaxTracked = 4096;

    void forgetIdle(Clock::time_point now);

    uint32_t burst_;
    Clock::duration interval_;
    std::map<uint32_t, Bucket> buckets_;
};

}  // namespace zenith::core
