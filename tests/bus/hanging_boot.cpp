#include "hanging_boot.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "daemon_view.h"
#include "sandbox_env.h"

namespace zenith::bustest {

namespace fs = std::filesystem;

namespace {

constexpr const char* kUnit = "zenith-test-hang.service";

// systemd reports READY=1 once its start-up jobs are done; this one's never
// is. Wanted by multi-user.target, which the default target pulls in.
constexpr const char* kUnitText =
    "[Unit]\n"
    "Description=Zenith test: a boot that never finishes\n"
    "[Service]\n"
    "Type=oneshot\n"
    "ExecStart=/bin/sleep infinity\n"
    "TimeoutStartSec=infinity\n";

}  // namespace

std::string createWithHangingBoot(const std::string& name)
{
    std::string made = createStoppedAsRoot(name);
    if (made != "done")
        return made;
    const fs::path system = fs::path(rootfsPath(name)) / "etc/systemd/system";
    fs::create_directories(system / "multi-user.target.wants");
    std::ofstream(system / kUnit) << kUnitText;
    fs::create_symlink(std::string("../") + kUnit, system / "multi-user.target.wants" / kUnit);
    return fs::exists(system / "multi-user.target.wants" / kUnit) ? "done" : "cannot plant the unit";
}

client::JobStatus waitForRunningStep(uint32_t jobId, const std::string& step, std::chrono::seconds timeout)
{
    auto c = connectClient();
    auto job = c.job(jobId);
    client::JobStatus last;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        auto status = job.status();
        if (!status) {
            ADD_FAILURE() << "job " << jobId << ": " << callErrorText(status.error());
            return last;
        }
        last = *status;
        if (last.finished()) {
            ADD_FAILURE() << "job " << jobId << " finished (" << last.state << ": " << last.errorMessage
                          << ") before it reached step " << step;
            return last;
        }
        if (last.state == "running" && last.step == step)
            return last;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "job " << jobId << " never reached step " << step << "; last: " << last.state << " "
                  << last.step;
    return last;
}

}  // namespace zenith::bustest
