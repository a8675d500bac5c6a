// A handle on one job object of the daemon (/org/zenith/Provisioner/job/<id>).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "zenith/client/error.h"
#include "zenith/client/export.h"
#include "zenith/client/types.h"

namespace zenith::client {

namespace detail {
class Session;
}

class ZENITH_CLIENT_EXPORT Job {
public:
    Job(std::shared_ptr<detail::Session> session, uint32_t id, std::string path);

    uint32_t id() const { return id_; }
    const std::string& path() const { return path_; }

    // All properties in one GetAll. NoSuchJob when the object is gone.
    Result<JobStatus> status() const;

    // Manager.CancelJob(id).
    Result<void> cancel() const;

    // Blocks until the job finishes and returns its result; a failed or
    // cancelled job is a JobResult, not an Error. Race-free: it subscribes to
    // the job's signals before it reads the job's state, so a job that is
    // already finished, or finishes meanwhile, is reported all the same.
    // Errors: NoSuchJob when the job object is gone (finished too long ago),
    // Disconnected when the daemon leaves the bus, Timeout after `timeout`
    // (zero: wait forever; the job keeps running).
    Result<JobResult> wait(const ProgressCallback& onProgress = {},
                           std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) const;

private:
    std::shared_ptr<detail::Session> session_;
    uint32_t id_;
    std::string path_;
};

// The decimal id at the end of /org/zenith/Provisioner/job/<id>; 0 for
// any other path (0 is never a job id).
ZENITH_CLIENT_EXPORT uint32_t jobIdFromPath(std::string_view path);

}  // namespace zenith::client
