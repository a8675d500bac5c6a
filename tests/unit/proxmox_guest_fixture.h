// The Proxmox cluster "pve" on the shared FakeHttpTransport, a GuestDriver
// that records its sleeps, and the helpers to script tasks and read back
// what was sent. Shared by the proxmox_guest_*_test.cpp files and the
// Cluster::refresh tests.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/proxmox/client/api_client.h"
#include "drivers/proxmox/cluster.h"
#include "drivers/proxmox/guest_driver.h"
#include "fake_http_transport.h"
#include "recording_job_context.h"

namespace zenith::drivers::proxmox {

inline constexpr const char* kBase = "https://pve1:8006/api2/json";
inline constexpr uint64_t kGiB = 1ull << 30;

// The UPID of a task `type` on `id` that `node` runs as process `pid`.
std::string upidFor(const std::string& node, const std::string& type, uint32_t id, unsigned pid);
// "/nodes/<node>/tasks/<upid, encoded>"
std::string taskPath(const std::string& node, const std::string& upid);
std::string percentDecode(std::string_view s);
// "a=1&b=x%20y" -> {{a,1},{b,x y}}
Params decodeForm(std::string_view body);
std::optional<std::string> param(const Params& p, const std::string& key);
// "GET /cluster/resources?type=vm"
std::string shown(const HttpRequest& r);
bool isTaskRequest(const HttpRequest& r);
// A 500 with Proxmox's {"data":null,"message":...}.
ApiReply serverError(const std::string& text);

class ProxmoxGuestFixture : public ::testing::Test {
protected:
    // The cluster "pve" (pool cloudpods, bridge vmbr0) on `fake`, retrying
    // without waiting.
    void SetUp() override;

    // A driver whose sleeps are recorded in `sleeps` (and told to onSleep).
    std::unique_ptr<GuestDriver> makeDriver(GuestType type);

    // A task that runs once, then ends with `exit`; its log has `logLine`.
    void task(const std::string& upid, const std::string& exit = "OK", const std::string& logLine = "");
    // `method path` answers `upid`, a task that ends OK.
    std::string answersTask(const std::string& method, const std::string& path, const std::string& upid);

    // The requests that are not task polls (nor, if given, to URLs that
    // contain `alsoSkip`).
    std::vector<std::string> nonPolls(std::string_view alsoSkip = {}) const;
    // The requests to `method path` (query ignored).
    std::vector<HttpRequest> requestsTo(const std::string& method, const std::string& path) const;

    testsupport::FakeHttpTransport* fake = nullptr;
    std::shared_ptr<Cluster> cluster;
    std::shared_ptr<ClusterSet> clusters;
    std::vector<std::chrono::milliseconds> sleeps;
    std::function<void(std::chrono::milliseconds)> onSleep;
    testsupport::RecordingJobContext ctx;
};

}  // namespace zenith::drivers::proxmox
