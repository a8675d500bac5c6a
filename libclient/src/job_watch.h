// Follows one job until it finishes: the machinery behind Job::wait().
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <sdbus-c++/sdbus-c++.h>

#include "convert.h"
#include "session.h"
#include "zenith/glue/job_proxy.h"

namespace zenith::client::detail {

class JobWatch {
public:
    // Subscribes to everything that can end the wait before anything is read
    // (throws sdbus::Error when a subscription fails).
    JobWatch(std::shared_ptr<Session> session, uint32_t id, std::string path);
    ~JobWatch();
    JobWatch(const JobWatch&) = delete;
    JobWatch& operator=(const JobWatch&) = delete;

    Result<JobResult> run(const ProgressCallback& onProgress, std::chrono::milliseconds timeout);

private:
    class JobProxy;
    struct Completion {
        std::string result, errorName, errorMessage;
    };

    // Loop-thread side: record and wake the waiter.
    void onProgress(double progress, const std::string& step, const std::string& message);
    void onCompleted(const std::string& result, const std::string& errorName, const std::string& errorMessage);
    void onProperties(const VariantMap& changed);
    void onJobRemoved(uint32_t id, const std::string& result);
    void onDaemonLeft();

    // Waiter side.
    Result<void> refresh();  // GetAll into status_
    Result<JobResult> finish();
    Result<JobResult> whenGone();
    void deliver(const ProgressCallback& cb, const JobProgress& p);

    std::shared_ptr<Session> session_;
    uint32_t id_;
    std::string path_;
    std::unique_ptr<JobProxy> jobProxy_;
    std::unique_ptr<sdbus::IProxy> managerSignals_;
    std::unique_ptr<sdbus::IProxy> busSignals_;

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<JobProgress> pending_;
    JobStatus status_;                  // merged from GetAll and PropertiesChanged
    bool finishedSeen_ = false;         // a State property said done/failed/cancelled
    std::optional<Completion> completion_;
    std::optional<std::string> removedResult_;  // JobRemoved without Completed
    bool daemonLeft_ = false;

    std::optional<JobProgress> delivered_;  // waiter thread only
};

}  // namespace zenith::client::detail
