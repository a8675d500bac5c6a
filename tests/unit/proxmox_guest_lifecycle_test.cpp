// GuestDriver start/stop/destroy/makeTemplate/probe/rollbackPartial against
// the shared fake transport: the calls each sends on the node the guest is
// on now, what a running guest refuses without FORCE, and which guests a
// rollback may remove (only one whose hostname is the machine's).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "proxmox_guest_fixture.h"

namespace zenith::drivers::proxmox {
namespace {

using core::ErrorCode;
using core::MachineState;
using testsupport::FakeHttpTransport;

class ProxmoxGuestLifecycleTest : public ProxmoxGuestFixture {
protected:
    void SetUp() override
    {
        ProxmoxGuestFixture::SetUp();
        driver = makeDriver(GuestType::Lxc);

        m.name = "web-01";
        m.backend = "proxmox-lxc";
        m.kind = "container";
        m.state = MachineState::Stopped;
        m.node = "pve1";
        m.vmid = 9101;
        m.location = "pve";
    }
    // /cluster/resources with guest 9101 (or none).
    void guestIs(const std::string& status, const std::string& node = "pve1", bool isTemplate = false,
                 const std::string& type = "lxc")
    {
        fake->on("GET", "/cluster/resources",
                 {FakeHttpTransport::ok(fmt::format(
                     R"([{{"id":"{}/9101","type":"{}","vmid":9101,"node":"{}","name":"web-01","status":"{}",)"
                     R"("template":{},"maxcpu":2,"maxmem":2147483648}},)"
                     R"({{"id":"lxc/9000","type":"lxc","vmid":9000,"node":"pve1","name":"cloudpod-template",)"
                     R"("status":"stopped","template":1}}])",
                     type, type, node, status, isTemplate ? 1 : 0))});
    }
    void noGuest()
    {
        fake->on("GET", "/cluster/resources",
                 {FakeHttpTransport::ok(R"([{"id":"lxc/9000","type":"lxc","vmid":9000,"node":"pve1",)"
                                        R"("name":"cloudpod-template","status":"stopped","template":1}])")});
    }
    // `method path` answers a task that ends OK.
    std::string answersTask(const std::string& method, const std::string& path, const std::string& type,
                            const std::string& node = "pve1", unsigned pid = 1)
    {
        return ProxmoxGuestFixture::answersTask(method, path, upidFor(node, type, 9101, pid));
    }

    std::unique_ptr<GuestDriver> driver;
    core::MachineRecord m;
};

// ---- start / stop ----

TEST_F(ProxmoxGuestLifecycleTest, StartBootsTheGuestOnItsNodeAndWaitsForTheTask)
{
    guestIs("stopped", "pve2");
    const std::string up = answersTask("POST", "/nodes/pve2/lxc/9101/status/start", "vzstart", "pve2");
    auto r = driver->start(m, ctx);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(nonPolls(), (std::vector<std::string>{"GET /cluster/resources?type=vm",
                                                    "POST /nodes/pve2/lxc/9101/status/start"}));
    EXPECT_TRUE(fake->requests()[1].body.empty());
    // Polled until it ended.
    EXPECT_EQ(requestsTo("GET", taskPath("pve2", up) + "/status").size(), 2u);
    EXPECT_EQ(ctx.checkpoints()["upid"], up);
}

TEST_F(ProxmoxGuestLifecycleTest, StartOfARunningGuestSendsNothingButTheLookup)
{
    guestIs("running");
    auto r = driver->start(m, ctx);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(nonPolls(), (std::vector<std::string>{"GET /cluster/resources?type=vm"}));
}

TEST_F(ProxmoxGuestLifecycleTest, AFailedStartTaskFailsWithItsText)
{
    guestIs("stopped");
    const std::string up = upidFor("pve1", "vzstart", 9101, 1);
    fake->on("POST", "/nodes/pve1/lxc/9101/status/start", {FakeHttpTransport::ok('"' + up + '"')});
    task(up, "startup for container '9101' failed");
    auto r = driver->start(m, ctx);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::BackendFailed);
    EXPECT_NE(r.error().message.find("startup for container"), std::string::npos) << r.error().message;
}

TEST_F(ProxmoxGuestLifecycleTest, StopWithoutForceIsAShutdownThatTurnsIntoAStop)
{
    guestIs("running");
    answersTask("POST", "/nodes/pve1/lxc/9101/status/shutdown", "vzshutdown");
    auto r = driver->stop(m, false, ctx);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(nonPolls(), (std::vector<std::string>{"GET /cluster/resources?type=vm",
                                                    "POST /nodes/pve1/lxc/9101/status/shutdown"}));
    auto post = requestsTo("POST", "/nodes/pve1/lxc/9101/status/shutdown");
    ASSERT_EQ(post.size(), 1u);
    EXPECT_EQ(decodeForm(post[0].body), (Params{{"timeout", "60"}, {"forceStop", "1"}}));
}

TEST_F(ProxmoxGuestLifecycleTest, StopWithForceIsAHardStop)
{
    guestIs("running");
    answersTask("POST", "/nodes/pve1/lxc/9101/status/stop", "vzstop");
    auto r = driver->stop(m, true, ctx);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(nonPolls(), (std::vector<std::string>{"GET /cluster/resources?type=vm",
                                                    "POST /nodes/pve1/lxc/9101/status/stop"}));
    EXPECT_TRUE(requestsTo("POST", "/nodes/pve1/lxc/9101/status/stop")[0].body.empty());
}

TEST_F(ProxmoxGuestLifecycleTest, StopOfAStoppedGuestSendsNothingButTheLookup)
{
    guestIs("stopped");
    EXPECT_TRUE(driver->stop(m, false, ctx));
    EXPECT_TRUE(driver->stop(m, true, ctx));
    EXPECT_EQ(nonPolls(), (std::vector<std::string>{"GET /cluster/resources?type=vm",
                                                    "GET /cluster/resources?type=vm"}));
}

TEST_F(ProxmoxGuestLifecycleTest, StopOfAGuestTheClusterLostIsNoSuchMachine)
{
    noGuest();
    auto r = driver->stop(m, false, ctx);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::NoSuchMachine);
}

// A guest of the other type with the record's vmid is not this machine.
TEST_F(ProxmoxGuestLifecycleTest, AGuestOfTheOtherTypeIsNotTheMachine)
{
    guestIs("running", "pve1", false, "qemu");
    auto r = driver->stop(m, true, ctx);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::NoSuchMachine);
    EXPECT_EQ(nonPolls().size(), 1u);
}

// ---- destroy ----

TEST_F(ProxmoxGuestLifecycleTest, DestroyOfARunningGuestWithoutForceIsBusyAndDeletesNothing)
{
    guestIs("running");
    auto r = driver->destroy(m, false, ctx);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::Busy);
    EXPECT_EQ(nonPolls(), (std::vector<std::string>{"GET /cluster/resources?type=vm"}));
}

TEST_F(ProxmoxGuestLifecycleTest, DestroyWithForceStopsThenPurges)
{
    guestIs("running");
    answersTask("POST", "/nodes/pve1/lxc/9101/status/stop", "vzstop", "pve1", 1);
    answersTask("DELETE", "/nodes/pve1/lxc/9101", "vzdestroy", "pve1", 2);
    auto r = driver->destroy(m, true, ctx);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(nonPolls(), (std::vector<std::string>{"GET /cluster/resources?type=vm",
                                                    "POST /nodes/pve1/lxc/9101/status/stop",
                                                    "DELETE /nodes/pve1/lxc/9101?purge=1&destroy-unreferenced-disks=1"}));
    // Past the delete call there is no way back.
    EXPECT_FALSE(ctx.cancelable());
}

TEST_F(ProxmoxGuestLifecycleTest, DestroyOfAStoppedGuestSendsNoStop)
{
    guestIs("stopped", "pve3");
    answersTask("DELETE", "/nodes/pve3/lxc/9101", "vzdestroy", "pve3");
    auto r = driver->destroy(m, false, ctx);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(nonPolls(), (std::vector<std::string>{"GET /cluster/resources?type=vm",
                                                    "DELETE /nodes/pve3/lxc/9101?purge=1&destroy-unreferenced-disks=1"}));
}

TEST_F(ProxmoxGuestLifecycleTest, DestroyOfAGuestTheClusterNoLongerHasSucceeds)
{
    noGuest();
    auto r = driver->destroy(m, true, ctx);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(nonPolls(), (std::vector<std::string>{"GET /cluster/resources?type=vm"}));
}

TEST_F(ProxmoxGuestLifecycleTest, DestroyWhenTheClusterDoesNotAnswerFails)
{
    fake->down("https://pve1:8006");
    auto r = driver->destroy(m, true, ctx);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::BackendUnavailable);
}

TEST_F(ProxmoxGuestLifecycleTest, AFailedDestroyTaskFails)
{
    guestIs("stopped");
    const std::string up = upidFor("pve1", "vzdestroy", 9101, 1);
    fake->on("DELETE", "/nodes/pve1/lxc/9101", {FakeHttpTransport::ok('"' + up + '"')});
    task(up, "CT is locked (backup)");
    auto r = driver->destroy(m, false, ctx);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::BackendFailed);
    EXPECT_NE(r.error().message.find("locked (backup)"), std::string::npos);
}

// web-01 (CT 9101) was removed on the cluster by hand; Proxmox hands out
// the lowest free id, so 9101 now belongs to someone else's container.
// Destroying web-01's record must not purge that one.
TEST_F(ProxmoxGuestLifecycleTest, DestroyLeavesAGuestThatTookTheMachinesVmidSince)
{
    fake->on("GET", "/cluster/resources",
             {FakeHttpTransport::ok(R"([{"id":"lxc/9101","type":"lxc","vmid":9101,"node":"pve1",)"
                                    R"("name":"someone-else","status":"running","template":0}])")});
    fake->on("GET", "/nodes/pve1/lxc/9101/config", {FakeHttpTransport::ok(R"({"hostname":"someone-else"})")});
    answersTask("POST", "/nodes/pve1/lxc/9101/status/stop", "vzstop", "pve1", 1);
    answersTask("DELETE", "/nodes/pve1/lxc/9101", "vzdestroy", "pve1", 2);
    (void)driver->destroy(m, true, ctx);
    EXPECT_TRUE(requestsTo("DELETE", "/nodes/pve1/lxc/9101").empty()) << "someone else's CT was purged";
    EXPECT_TRUE(requestsTo("POST", "/nodes/pve1/lxc/9101/status/stop").empty()) << "someone else's CT was stopped";
}

// ---- makeTemplate ----

TEST_F(ProxmoxGuestLifecycleTest, MakeTemplateOfAContainerWaitsForTemplateInItsConfig)
{
    guestIs("stopped");
    fake->on("POST", "/nodes/pve1/lxc/9101/template", {FakeHttpTransport::ok("null")});
    fake->on("GET", "/nodes/pve1/lxc/9101/config",
             {FakeHttpTransport::ok(R"({"hostname":"web-01","lock":"template"})"),
              FakeHttpTransport::ok(R"({"hostname":"web-01","lock":"template"})"),
              FakeHttpTransport::ok(R"({"hostname":"web-01","template":1})")});
    auto r = driver->makeTemplate(m, ctx);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(nonPolls(), (std::vector<std::string>{"GET /cluster/resources?type=vm",
                                                    "POST /nodes/pve1/lxc/9101/template",
                                                    "GET /nodes/pve1/lxc/9101/config",
                                                    "GET /nodes/pve1/lxc/9101/config",
                                                    "GET /nodes/pve1/lxc/9101/config"}));
    // No task id: nothing polled as a task.
    for (const auto& req : fake->requests())
        EXPECT_FALSE(isTaskRequest(req)) << shown(req);
    // Waited between the reads, not before the first.
    EXPECT_EQ(sleeps.size(), 2u);
}

TEST_F(ProxmoxGuestLifecycleTest, MakeTemplateOfARunningGuestIsBusy)
{
    guestIs("running");
    auto r = driver->makeTemplate(m, ctx);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::Busy);
    EXPECT_EQ(nonPolls(), (std::vector<std::string>{"GET /cluster/resources?type=vm"}));
}

TEST_F(ProxmoxGuestLifecycleTest, MakeTemplateOfATemplateSendsNothingMore)
{
    guestIs("stopped", "pve1", true);
    ASSERT_TRUE(driver->makeTemplate(m, ctx));
    EXPECT_EQ(nonPolls(), (std::vector<std::string>{"GET /cluster/resources?type=vm"}));
}

TEST_F(ProxmoxGuestLifecycleTest, MakeTemplateOfAVmFollowsItsTaskThenChecksTheConfig)
{
    auto qemu = makeDriver(GuestType::Qemu);
    guestIs("stopped", "pve2", false, "qemu");
    const std::string up = answersTask("POST", "/nodes/pve2/qemu/9101/template", "qmtemplate", "pve2");
    fake->on("GET", "/nodes/pve2/qemu/9101/config", {FakeHttpTransport::ok(R"({"name":"web-01","template":1})")});
    auto r = qemu->makeTemplate(m, ctx);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(requestsTo("GET", taskPath("pve2", up) + "/status").size(), 2u);
    EXPECT_EQ(requestsTo("GET", "/nodes/pve2/qemu/9101/config").size(), 1u);
}

TEST_F(ProxmoxGuestLifecycleTest, MakeTemplateCancelledWhileWaitingIsCancelled)
{
    guestIs("stopped");
    fake->on("POST", "/nodes/pve1/lxc/9101/template", {FakeHttpTransport::ok("null")});
    fake->on("GET", "/nodes/pve1/lxc/9101/config", {FakeHttpTransport::ok(R"({"hostname":"web-01"})")});
    ctx.cancelAtStep("template");
    auto r = driver->makeTemplate(m, ctx);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::Cancelled);
}

// ---- probe ----

TEST_F(ProxmoxGuestLifecycleTest, ProbeMapsTheClustersState)
{
    m.state = MachineState::Stopped;
    guestIs("running");
    EXPECT_EQ(driver->probe(m), MachineState::Running);
    guestIs("stopped");
    m.state = MachineState::Running;
    EXPECT_EQ(driver->probe(m), MachineState::Stopped);
    guestIs("stopped", "pve1", true);
    EXPECT_EQ(driver->probe(m), MachineState::Template);
    noGuest();
    EXPECT_EQ(driver->probe(m), MachineState::Failed);
}

TEST_F(ProxmoxGuestLifecycleTest, ProbeOfAGuestOnAnOfflineNodeKeepsTheRecordedState)
{
    m.state = MachineState::Running;
    guestIs("unknown");
    EXPECT_EQ(driver->probe(m), MachineState::Running);
}

TEST_F(ProxmoxGuestLifecycleTest, ProbeWhenTheClusterDoesNotAnswerKeepsTheRecordedState)
{
    fake->down("https://pve1:8006");
    m.state = MachineState::Running;
    EXPECT_EQ(driver->probe(m), MachineState::Running);
    m.state = MachineState::Stopped;
    EXPECT_EQ(driver->probe(m), MachineState::Stopped);
}

TEST_F(ProxmoxGuestLifecycleTest, ProbeOfAMachineOnAClusterNoLongerConfiguredIsFailed)
{
    m.location = "gone";
    EXPECT_EQ(driver->probe(m), MachineState::Failed);
    EXPECT_TRUE(fake->requests().empty());
}

// ---- rollbackPartial ----

class ProxmoxGuestRollbackTest : public ProxmoxGuestLifecycleTest {
protected:
    void SetUp() override
    {
        ProxmoxGuestLifecycleTest::SetUp();
        half.name = "web-01";
        half.backend = "proxmox-lxc";
        half.kind = "container";
        half.state = MachineState::Creating;
        half.checkpoints = {{"cluster", "pve"}, {"vmid", "9101"}, {"node", "pve1"}};
    }
    void removable(const std::string& node)
    {
        fake->on("POST", "/nodes/" + node + "/lxc/9101/status/stop", {serverError("CT 9101 not running")});
        answersTask("DELETE", "/nodes/" + node + "/lxc/9101", "vzdestroy", node, 5);
    }
    core::MachineRecord half;
};

TEST_F(ProxmoxGuestRollbackTest, RemovesTheGuestWhoseHostnameIsTheMachines)
{
    guestIs("stopped");
    fake->on("GET", "/nodes/pve1/lxc/9101/config", {FakeHttpTransport::ok(R"({"hostname":"web-01","lock":"create"})")});
    removable("pve1");
    driver->rollbackPartial(half);
    auto del = requestsTo("DELETE", "/nodes/pve1/lxc/9101");
    ASSERT_EQ(del.size(), 1u);
    EXPECT_NE(del[0].url.find("purge=1"), std::string::npos) << del[0].url;
    EXPECT_NE(del[0].url.find("destroy-unreferenced-disks=1"), std::string::npos) << del[0].url;
}

TEST_F(ProxmoxGuestRollbackTest, FollowsAGuestToTheNodeItIsOnNow)
{
    guestIs("stopped", "pve2");
    fake->on("GET", "/nodes/pve2/lxc/9101/config", {FakeHttpTransport::ok(R"({"hostname":"web-01"})")});
    removable("pve2");
    driver->rollbackPartial(half);
    EXPECT_EQ(requestsTo("DELETE", "/nodes/pve2/lxc/9101").size(), 1u);
    EXPECT_TRUE(requestsTo("GET", "/nodes/pve1/lxc/9101/config").empty());
}

TEST_F(ProxmoxGuestRollbackTest, LeavesAGuestWhoseHostnameIsAnothers)
{
    guestIs("running");
    fake->on("GET", "/nodes/pve1/lxc/9101/config", {FakeHttpTransport::ok(R"({"hostname":"someone-else"})")});
    removable("pve1");
    driver->rollbackPartial(half);
    EXPECT_EQ(requestsTo("GET", "/nodes/pve1/lxc/9101/config").size(), 1u);
    EXPECT_TRUE(requestsTo("DELETE", "/nodes/pve1/lxc/9101").empty());
    EXPECT_TRUE(requestsTo("POST", "/nodes/pve1/lxc/9101/status/stop").empty());
}

TEST_F(ProxmoxGuestRollbackTest, DoesNothingWhenTheClusterHasNoSuchVmid)
{
    noGuest();
    driver->rollbackPartial(half);
    EXPECT_EQ(nonPolls(), (std::vector<std::string>{"GET /cluster/resources?type=vm"}));
}

TEST_F(ProxmoxGuestRollbackTest, DoesNothingBeforeAVmidWasClaimed)
{
    half.checkpoints = {{"cluster", "pve"}};
    driver->rollbackPartial(half);
    EXPECT_TRUE(fake->requests().empty());
}

}  // namespace
}  // namespace zenith::drivers::proxmox
