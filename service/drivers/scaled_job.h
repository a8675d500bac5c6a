// A JobContext that maps a part of a job onto a slice of its progress: an
// operation made of two driver calls (a backup, then a destroy) gives each
// its share, and progress stays monotonic across them.
#pragma once

#include "drivers/driver.h"

namespace zenith::drivers {

class ScaledJob final : public JobContext {
public:
    ScaledJob(JobContext& job, double from, double to) : job_(job), from_(from), to_(to) {}
    void progress(double fraction, std::string_view step, std::string_view message) override
    {
        job_.progress(from_ + (to_ - from_) * fraction, step, message);
    }
    bool cancelRequested() const override { return job_.cancelRequested(); }
    std::stop_token stopToken() const override { return job_.stopToken(); }
    void setCancelable(bool cancelable) override { job_.setCancelable(cancelable); }
    void checkpoint(std::string_view key, std::string_view value) override { job_.checkpoint(key, value); }

private:
    JobContext& job_;
    double from_, to_;
};

}  // namespace zenith::drivers
