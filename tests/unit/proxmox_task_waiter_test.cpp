// Following a task through the shared fake transport: polls on the UPID's
// node, log lines as progress, WARNINGS as success, failure text, cancel
// stopping the task, and the time bound.
#include <gtest/gtest.h>

#include "drivers/proxmox/client/task_waiter.h"
#include "fake_http_transport.h"
#include "recording_job_context.h"

namespace zenith::drivers::proxmox {
namespace {

using core::ErrorCode;
using testsupport::FakeHttpTransport;
using testsupport::RecordingJobContext;
using namespace std::chrono_literals;

constexpr const char* kUpid = "UPID:pve2:0000A1B2:0123ABCD:6745F0A1:vzclone:9000:mpanel@pve!automation:";

class ProxmoxTaskWaiterTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        upid = *parseUpid(kUpid);
        base = "/nodes/pve2/tasks/" + percentEncode(kUpid);
        how.step = "clone";
        how.progressFrom = 0.1;
        how.progressTo = 0.9;
        how.sleep = [this](std::chrono::milliseconds d, std::stop_token stop) {
            waits.push_back(d);
            return !stop.stop_requested();
        };
    }
    static FakeHttpTransport::Reply status(const std::string& s, const std::string& exit = "")
    {
        return FakeHttpTransport::ok(exit.empty() ? R"({"status":")" + s + R"("})"
                                                  : R"({"status":")" + s + R"(","exitstatus":")" + exit + R"("})");
    }
    static FakeHttpTransport::Reply lines(const std::string& json) { return FakeHttpTransport::ok(json); }

    FakeHttpTransport fake;
    ApiClient api{fake, {"lab", {"https://pve1:8006"}, "mpanel@pve!automation", "s3cret", 5000ms}};
    RecordingJobContext job;
    Upid upid;
    std::string base;
    TaskWait how;
    std::vector<std::chrono::milliseconds> waits;
};

TEST_F(ProxmoxTaskWaiterTest, PollsTheUpidsNodeAndTurnsLogLinesIntoProgress)
{
    fake.on("GET", base + "/status", {status("running"), status("running"), status("stopped", "OK")});
    fake.on("GET", base + "/log",
            {lines(R"j([{"n":1,"t":"create full clone of mountpoint rootfs (local-lvm:vm-9000-disk-0)"}])j"),
             lines(R"j([{"n":2,"t":"transferred 4.0 GiB of 8.0 GiB (50.00%)"}])j"),
             lines(R"j([{"n":3,"t":"transferred 8.0 GiB of 8.0 GiB (100.00%)"},{"n":4,"t":"TASK OK"}])j")});
    auto r = waitForTask(api, upid, job, how);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->warnings, 0u);

    auto events = job.events();
    ASSERT_EQ(events.size(), 4u);
    EXPECT_EQ(events[0].message, "create full clone of mountpoint rootfs (local-lvm:vm-9000-disk-0)");
    EXPECT_DOUBLE_EQ(events[0].fraction, 0.1);
    EXPECT_DOUBLE_EQ(events[1].fraction, 0.5);
    EXPECT_DOUBLE_EQ(events[2].fraction, 0.9);
    EXPECT_EQ(events[3].message, "TASK OK");
    EXPECT_TRUE(job.monotonic());
    // First poll within 100 ms, then backing off.
    ASSERT_EQ(waits.size(), 3u);
    EXPECT_LE(waits[0], 100ms);
    EXPECT_GT(waits[2], waits[0]);
    // Every request went to the node the cluster answered on, for the UPID's node.
    for (const auto& req : fake.requests())
        EXPECT_NE(req.url.find("/nodes/pve2/tasks/UPID%3Apve2%3A"), std::string::npos) << req.url;
    // The log is read from where the last read ended.
    auto reqs = fake.requests();
    EXPECT_NE(reqs.back().url.find("start=2"), std::string::npos) << reqs.back().url;
}

// A task whose log is still empty reads as [{"n":1,"t":"no content"}]: the
// next read must start at the first real line, not after it.
TEST_F(ProxmoxTaskWaiterTest, AnEmptyLogsPlaceholderIsNoLine)
{
    fake.on("GET", base + "/status", {status("running"), status("stopped", "OK")});
    fake.on("GET", base + "/log",
            {lines(R"j([{"n":1,"t":"no content"}])j"), lines(R"j([{"n":1,"t":"starting CT 9101"}])j")});
    auto r = waitForTask(api, upid, job, how);
    ASSERT_TRUE(r) << r.error().message;
    auto reqs = fake.requests();
    std::vector<std::string> logReads;
    for (const auto& req : reqs)
        if (req.url.find("/log") != std::string::npos)
            logReads.push_back(req.url);
    ASSERT_EQ(logReads.size(), 2u);
    EXPECT_NE(logReads[1].find("start=0"), std::string::npos) << logReads[1];
    auto events = job.events();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].message, "starting CT 9101");
}

TEST_F(ProxmoxTaskWaiterTest, WarningsAreASuccessAndSaySo)
{
    fake.on("GET", base + "/status", {status("stopped", "WARNINGS: 1")});
    fake.on("GET", base + "/log", {lines(R"j([{"n":1,"t":"WARN: no lock found trying to remove 'create'  lock"}])j")});
    auto r = waitForTask(api, upid, job, how);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->warnings, 1u);
    ASSERT_EQ(r->warningLines.size(), 1u);
    EXPECT_NE(r->warningLines[0].find("no lock found"), std::string::npos);
}

TEST_F(ProxmoxTaskWaiterTest, AFailedTaskFailsWithItsExitStatus)
{
    fake.on("GET", base + "/status", {status("stopped", "clone failed: storage 'fast' does not exist")});
    fake.on("GET", base + "/log", {lines("[]")});
    auto r = waitForTask(api, upid, job, how);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::BackendFailed);
    EXPECT_NE(r.error().message.find("storage 'fast' does not exist"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("vzclone on pve2"), std::string::npos) << r.error().message;
}

TEST_F(ProxmoxTaskWaiterTest, ABrandNewTaskThatIsNotVisibleYetIsAskedAgain)
{
    fake.on("GET", base + "/status", {{400, "Parameter verification failed.",
                                       R"({"errors":{"upid":"no such task"},"data":null})"},
                                      status("stopped", "OK")});
    fake.on("GET", base + "/log", {lines("[]")});
    RetryPolicy quick;
    quick.sleep = [](std::chrono::milliseconds, std::stop_token) { return true; };
    ApiClient retrying(fake, {"lab", {"https://pve1:8006"}, "mpanel@pve!automation", "s3cret", 5000ms}, quick);
    EXPECT_TRUE(waitForTask(retrying, upid, job, how));
}

TEST_F(ProxmoxTaskWaiterTest, CancelStopsTheTask)
{
    fake.on("GET", base + "/status", {status("running")});
    fake.on("GET", base + "/log", {lines("[]")});
    fake.on("DELETE", base, {FakeHttpTransport::ok("null")});
    job.cancelWhen = [](double, const std::string&) { return true; };
    int polls = 0;
    how.sleep = [&](std::chrono::milliseconds, std::stop_token stop) {
        if (++polls == 3)
            job.cancel();
        return !stop.stop_requested();
    };
    auto r = waitForTask(api, upid, job, how);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::Cancelled);
    auto reqs = fake.requests();
    ASSERT_FALSE(reqs.empty());
    EXPECT_EQ(reqs.back().method, "DELETE");
    EXPECT_NE(reqs.back().url.find("/nodes/pve2/tasks/UPID%3Apve2"), std::string::npos);
}

TEST_F(ProxmoxTaskWaiterTest, ATaskPastItsTimeIsStoppedAndFails)
{
    fake.on("GET", base + "/status", {status("running")});
    fake.on("GET", base + "/log", {lines("[]")});
    fake.on("DELETE", base, {FakeHttpTransport::ok("null")});
    how.timeout = 0s;
    auto r = waitForTask(api, upid, job, how);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::BackendFailed);
    EXPECT_NE(r.error().message.find("still ran"), std::string::npos);
    EXPECT_EQ(fake.requests().back().method, "DELETE");
}

}  // namespace
}  // namespace zenith::drivers::proxmox
