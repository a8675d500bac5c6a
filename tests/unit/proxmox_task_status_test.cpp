#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "drivers/proxmox/client/task_status.h"

namespace zenith::drivers::proxmox {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

TEST(ProxmoxTaskStatus, RunningThenOk)
{
    auto r = parseTaskStatus(json{{"status", "running"}, {"upid", "UPID:..."}});
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->running);
    auto ok = parseTaskStatus(json{{"status", "stopped"}, {"exitstatus", "OK"}});
    ASSERT_TRUE(ok);
    EXPECT_FALSE(ok->running);
    EXPECT_TRUE(ok->succeeded);
    EXPECT_EQ(ok->warnings, 0u);
}

TEST(ProxmoxTaskStatus, WarningsAreASuccessThatCounts)
{
    auto r = parseTaskStatus(json{{"status", "stopped"}, {"exitstatus", "WARNINGS: 3"}});
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->succeeded);
    EXPECT_EQ(r->warnings, 3u);
    // Not a number after the prefix: the text is an error like any other.
    auto odd = parseTaskStatus(json{{"status", "stopped"}, {"exitstatus", "WARNINGS: many"}});
    ASSERT_TRUE(odd);
    EXPECT_FALSE(odd->succeeded);
}

TEST(ProxmoxTaskStatus, AnyOtherExitStatusIsTheError)
{
    auto r = parseTaskStatus(json{{"status", "stopped"}, {"exitstatus", "clone failed: storage 'x' does not exist"}});
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->succeeded);
    EXPECT_EQ(r->exitStatus, "clone failed: storage 'x' does not exist");
    auto none = parseTaskStatus(json{{"status", "stopped"}});
    ASSERT_TRUE(none);
    EXPECT_FALSE(none->succeeded);
    EXPECT_NE(none->exitStatus.find("unknown"), std::string::npos);
}

TEST(ProxmoxTaskStatus, NonsenseIsTheServersFault)
{
    for (const json& bad : {json(nullptr), json("running"), json{{"status", 1}}, json{{"status", "paused"}}}) {
        auto r = parseTaskStatus(bad);
        ASSERT_FALSE(r) << bad.dump();
        EXPECT_EQ(r.error().code, core::ErrorCode::BackendFailed);
    }
}

TEST(ProxmoxTaskStatus, PollsStartFastAndSettleAtOneSecond)
{
    EXPECT_LE(taskPollDelay(0), 100ms);
    for (unsigned i = 1; i < 40; ++i) {
        EXPECT_GE(taskPollDelay(i), taskPollDelay(i - 1)) << i;
        EXPECT_LE(taskPollDelay(i), 1000ms) << i;
    }
    EXPECT_EQ(taskPollDelay(10), 1000ms);
    EXPECT_EQ(taskPollDelay(4000000000u), 1000ms);
}

TEST(ProxmoxTaskStatus, ProgressFromLogLines)
{
    EXPECT_DOUBLE_EQ(*taskLogProgress("drive-scsi0: transferred 1.0 GiB of 32.0 GiB (3.12%) in 2s"), 0.0312);
    EXPECT_DOUBLE_EQ(*taskLogProgress("INFO:  45% (1.8 GiB of 4.0 GiB) in 6s, read: 300.0 MiB/s"), 0.45);
    EXPECT_DOUBLE_EQ(*taskLogProgress("INFO: 100% (4.0 GiB of 4.0 GiB) in 13s"), 1.0);
    // The last percentage counts; one above 100 or without digits does not.
    EXPECT_DOUBLE_EQ(*taskLogProgress("10% then 20%"), 0.20);
    EXPECT_FALSE(taskLogProgress("create full clone of mountpoint rootfs (local-lvm:vm-9000-disk-0)"));
    EXPECT_FALSE(taskLogProgress("% .%"));
    EXPECT_FALSE(taskLogProgress("150%"));
}

}  // namespace
}  // namespace zenith::drivers::proxmox
