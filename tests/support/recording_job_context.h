// The one fake drivers::JobContext of the driver tests. It records every
// progress report (so tests can check the steps' order and that the fraction
// never goes back) and handles cancel like the engine does: once the driver
// called setCancelable(false) - its point of no return - a cancel is refused
// and the driver never hears of it.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <stop_token>
#include <string>
#include <vector>

#include "drivers/driver.h"

namespace zenith::testsupport {

class RecordingJobContext final : public drivers::JobContext {
public:
    struct Event {
        double fraction;
        std::string step, message;
    };

    // Asks for a cancel the first time it returns true for a report.
    std::function<bool(double fraction, const std::string& step)> cancelWhen;
    // The same for the first report of `step`.
    void cancelAtStep(std::string step);

    // The job's Cancel(): false (and nothing happens) once the driver passed
    // its point of no return, as the engine answers NotCancelable.
    bool cancel();
    int refusedCancels() const { return refused_.load(); }

    void progress(double fraction, std::string_view step, std::string_view message) override;
    bool cancelRequested() const override { return stop_.stop_requested(); }
    std::stop_token stopToken() const override { return stop_.get_token(); }
    void setCancelable(bool cancelable) override;
    void checkpoint(std::string_view key, std::string_view value) override;

    std::vector<Event> events() const;
    // The steps in report order, repeats of the step before collapsed.
    std::vector<std::string> steps() const;
    bool monotonic() const;
    size_t countOf(const std::string& step) const;
    bool cancelable() const;
    // What the driver checkpointed, latest value per key.
    std::map<std::string, std::string> checkpoints() const;

private:
    mutable std::mutex mutex_;
    std::vector<Event> events_;
    std::stop_source stop_;
    bool cancelable_ = true;
    std::map<std::string, std::string> checkpoints_;
    std::atomic<int> refused_{0};
};

}  // namespace zenith::testsupport
