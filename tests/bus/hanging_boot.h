// A machine whose boot never finishes, for tests that need a job that is
// observably running for as long as they need it, without racing a real
// boot: a oneshot unit in the machine's tree that never completes keeps its
// systemd from reporting READY=1, so a start job stays in its "start" step
// until it is cancelled (or the runner's 90 s start timeout ends it).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <zenith/client/client.h>

namespace zenith::bustest {

// Root creates `name` stopped and plants the unit; "done" or what failed.
std::string createWithHangingBoot(const std::string& name);

// Polls the job (root's view) until its Step is `step` while it runs; the
// status then, or a test failure after `timeout` (a bound for a hang).
client::JobStatus waitForRunningStep(uint32_t jobId, const std::string& step,
                                     std::chrono::seconds timeout = std::chrono::seconds(120));

}  // namespace zenith::bustest
