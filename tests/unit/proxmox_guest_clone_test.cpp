// GuestDriver::clone (proxmox-lxc) against the shared fake transport: the
// exact calls of a CloudPod clone, vmid allocation and its races, a locked
// source, linked clones that cannot be, and the rollback of a clone that
// fails or is cancelled (only a guest whose hostname says it is ours).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <thread>

#include "proxmox_guest_fixture.h"

namespace zenith::drivers::proxmox {
namespace {

using core::ErrorCode;
using testsupport::FakeHttpTransport;
using testsupport::RecordingJobContext;
using namespace std::chrono_literals;
using Reply = FakeHttpTransport::Reply;

constexpr const char* kNewName = "migra-client-01";

// A node that acts on a request but whose answer never arrives (the
// client's timeout): forwards to the scripted fake, then drops the answer
// of the first request matching `dropAnswerOf` ("POST /nodes/...").
class AnswerLostTransport final : public HttpTransport {
public:
    explicit AnswerLostTransport(FakeHttpTransport& server) : server_(server) {}
    std::string dropAnswerOf;

    std::expected<ApiReply, std::string> send(const HttpRequest& request) override
    {
        auto reply = server_.send(request);
        if (!dropAnswerOf.empty() && shown(request) == dropAnswerOf) {
            dropAnswerOf.clear();
            return std::unexpected(std::string("Operation timed out after 30000 milliseconds with 0 bytes received"));
        }
        return reply;
    }

private:
    FakeHttpTransport& server_;
};

class ProxmoxGuestCloneTest : public ProxmoxGuestFixture {
protected:
    void SetUp() override
    {
        ProxmoxGuestFixture::SetUp();
        driver = makeDriver(GuestType::Lxc);

        source.name = "cloudpod-template";
        source.backend = "proxmox-lxc";
        source.kind = "container";
        source.state = core::MachineState::Template;
        source.node = "pve1";
        source.vmid = 9000;
        source.location = "pve";

        spec.backend.values["vmid"] = core::SpecValue{uint32_t{9101}, "u"};
        spec.ipv4 = "10.1.10.91/24";
        spec.gateway = "10.1.10.1";
        spec.dns = std::vector<std::string>{"1.1.1.1", "9.9.9.9"};
        spec.cores = 2;
        spec.memoryMax = 2ull << 30;
    }

    // The template 9000 where /cluster/resources has it.
    void sourceOn(const std::string& node)
    {
        fake->on("GET", "/cluster/resources",
                 {FakeHttpTransport::ok(fmt::format(
                     R"([{{"id":"lxc/9000","type":"lxc","vmid":9000,"node":"{}","name":"cloudpod-template",)"
                     R"("status":"stopped","template":1,"maxcpu":1,"maxmem":536870912}},)"
                     R"({{"id":"node/{}","type":"node","node":"{}","status":"online"}}])",
                     node, node, node))});
    }
    void cloneAnswers(std::vector<Reply> replies, const std::string& node = "pve1")
    {
        fake->on("POST", "/nodes/" + node + "/lxc/9000/clone", std::move(replies));
    }
    // The new guest's config, as removeMadeGuest reads it.
    void configOf(uint32_t vmid, const std::string& hostname)
    {
        fake->on("GET", fmt::format("/nodes/pve1/lxc/{}/config", vmid),
                 {FakeHttpTransport::ok(R"({"hostname":")" + hostname + R"(","arch":"amd64","ostype":"debian"})")});
    }
    // What removing a guest answers with.
    void removable(uint32_t vmid)
    {
        fake->on("POST", fmt::format("/nodes/pve1/lxc/{}/status/stop", vmid),
                 {serverError(fmt::format("CT {} not running", vmid))});
        answersTask("DELETE", fmt::format("/nodes/pve1/lxc/{}", vmid), upidFor("pve1", "vzdestroy", vmid, 7));
    }
    size_t deletesOfGuests() const
    {
        size_t n = 0;
        for (const auto& r : fake->requests())
            n += r.method == "DELETE" && !isTaskRequest(r);
        return n;
    }

    std::unique_ptr<GuestDriver> driver;
    core::MachineRecord source;
    core::MachineSpec spec;
};

// A dual-stack address from the pool: net0 carries ip6 and gw6 next to the
// IPv4 part (Proxmox's own spelling), in the same PUT.
TEST_F(ProxmoxGuestCloneTest, AnIPv6AddressAndGatewayGoIntoNet0)
{
    sourceOn("pve1");
    const std::string cloneUpid = upidFor("pve1", "vzclone", 9000, 1);
    cloneAnswers({FakeHttpTransport::ok('"' + cloneUpid + '"')});
    task(cloneUpid);
    fake->on("PUT", "/nodes/pve1/lxc/9101/config", {FakeHttpTransport::ok("null")});
    spec.ipv6 = "2001:db8:10::100/64";
    spec.gateway6 = "2001:db8:10::1";

    auto facts = driver->clone(source, kNewName, spec, false, ctx);
    ASSERT_TRUE(facts) << facts.error().message;
    auto put = requestsTo("PUT", "/nodes/pve1/lxc/9101/config");
    ASSERT_EQ(put.size(), 1u);
    EXPECT_EQ(decodeForm(put[0].body).at(0),
              (std::pair<std::string, std::string>{
                  "net0", "name=eth0,bridge=vmbr0,ip=10.1.10.91/24,gw=10.1.10.1,ip6=2001:db8:10::100/64,"
                          "gw6=2001:db8:10::1"}));
}

TEST_F(ProxmoxGuestCloneTest, ACloudPodCloneSendsExactlyTheCallsItNeeds)
{
    sourceOn("pve1");
    const std::string cloneUpid = upidFor("pve1", "vzclone", 9000, 1);
    const std::string startUpid = upidFor("pve1", "vzstart", 9101, 2);
    cloneAnswers({FakeHttpTransport::ok('"' + cloneUpid + '"')});
    task(cloneUpid, "OK", "create linked clone of mount point rootfs (local-lvm:base-9000-disk-0)");
    fake->on("PUT", "/nodes/pve1/lxc/9101/config", {FakeHttpTransport::ok("null")});
    fake->on("POST", "/nodes/pve1/lxc/9101/status/start", {FakeHttpTransport::ok('"' + startUpid + '"')});
    task(startUpid);

    auto facts = driver->clone(source, kNewName, spec, true, ctx);
    ASSERT_TRUE(facts) << facts.error().message;

    EXPECT_EQ(nonPolls(), (std::vector<std::string>{
                              "GET /cluster/resources?type=vm",
                              "POST /nodes/pve1/lxc/9000/clone",
                              "PUT /nodes/pve1/lxc/9101/config",
                              "POST /nodes/pve1/lxc/9101/status/start",
                          }));
    EXPECT_LE(nonPolls().size(), 6u);

    auto clone = requestsTo("POST", "/nodes/pve1/lxc/9000/clone");
    ASSERT_EQ(clone.size(), 1u);
    EXPECT_EQ(decodeForm(clone[0].body), (Params{{"newid", "9101"}, {"hostname", kNewName}}));

    auto put = requestsTo("PUT", "/nodes/pve1/lxc/9101/config");
    ASSERT_EQ(put.size(), 1u);
    EXPECT_EQ(decodeForm(put[0].body), (Params{{"net0", "name=eth0,bridge=vmbr0,ip=10.1.10.91/24,gw=10.1.10.1"},
                                               {"nameserver", "1.1.1.1 9.9.9.9"},
                                               {"cores", "2"},
                                               {"memory", "2048"}}));
    EXPECT_TRUE(requestsTo("POST", "/nodes/pve1/lxc/9101/status/start")[0].body.empty());

    // Every poll went to the node its UPID names, for that UPID, GETs only.
    size_t polls = 0;
    for (const auto& r : fake->requests()) {
        if (!isTaskRequest(r))
            continue;
        ++polls;
        EXPECT_EQ(r.method, "GET") << shown(r);
        const bool ofClone = r.url.find(taskPath("pve1", cloneUpid)) != std::string::npos;
        const bool ofStart = r.url.find(taskPath("pve1", startUpid)) != std::string::npos;
        EXPECT_TRUE(ofClone || ofStart) << shown(r);
    }
    EXPECT_GE(polls, 4u);  // status and log of each task at least

    auto cp = ctx.checkpoints();
    EXPECT_EQ(cp["cluster"], "pve");
    EXPECT_EQ(cp["vmid"], "9101");
    EXPECT_EQ(cp["node"], "pve1");
    EXPECT_EQ(cp["upid"], startUpid);  // the latest task

    EXPECT_EQ(facts->node, "pve1");
    EXPECT_EQ(facts->vmid, 9101u);
    EXPECT_EQ(facts->location, "pve");
    EXPECT_EQ(facts->addresses, (std::vector<std::string>{"10.1.10.91"}));
    EXPECT_TRUE(ctx.monotonic());
    EXPECT_EQ(deletesOfGuests(), 0u);
}

// The record says pve1, the cluster says the template moved to pve2: every
// call goes where it is now, and the tasks are polled on pve2.
TEST_F(ProxmoxGuestCloneTest, ASourceThatMovedIsClonedWhereItIsNow)
{
    sourceOn("pve2");
    const std::string cloneUpid = upidFor("pve2", "vzclone", 9000, 1);
    cloneAnswers({FakeHttpTransport::ok('"' + cloneUpid + '"')}, "pve2");
    task(cloneUpid);
    fake->on("PUT", "/nodes/pve2/lxc/9101/config", {FakeHttpTransport::ok("null")});

    auto facts = driver->clone(source, kNewName, spec, false, ctx);
    ASSERT_TRUE(facts) << facts.error().message;
    EXPECT_EQ(nonPolls(), (std::vector<std::string>{"GET /cluster/resources?type=vm",
                                                    "POST /nodes/pve2/lxc/9000/clone",
                                                    "PUT /nodes/pve2/lxc/9101/config"}));
    for (const auto& r : fake->requests()) {
        if (isTaskRequest(r)) {
            EXPECT_NE(r.url.find(taskPath("pve2", cloneUpid)), std::string::npos) << shown(r);
        }
    }
    EXPECT_EQ(facts->node, "pve2");
    EXPECT_EQ(ctx.checkpoints()["node"], "pve2");
    // start=false: no start call.
    EXPECT_TRUE(requestsTo("POST", "/nodes/pve2/lxc/9101/status/start").empty());
}

TEST_F(ProxmoxGuestCloneTest, WithoutAVmidTheNextFreeOneIsUsedAndATakenOneSkipped)
{
    spec.backend.values.erase("vmid");
    sourceOn("pve1");
    fake->on("GET", "/cluster/nextid", {FakeHttpTransport::ok(R"("100")"), FakeHttpTransport::ok(R"("101")")});
    const std::string cloneUpid = upidFor("pve1", "vzclone", 9000, 1);
    cloneAnswers({serverError("CT 100 already exists on node 'pve1'"), FakeHttpTransport::ok('"' + cloneUpid + '"')});
    task(cloneUpid);
    fake->on("PUT", "/nodes/pve1/lxc/101/config", {FakeHttpTransport::ok("null")});

    auto facts = driver->clone(source, kNewName, spec, false, ctx);
    ASSERT_TRUE(facts) << facts.error().message;
    EXPECT_EQ(facts->vmid, 101u);
    EXPECT_EQ(nonPolls(), (std::vector<std::string>{"GET /cluster/resources?type=vm", "GET /cluster/nextid",
                                                    "POST /nodes/pve1/lxc/9000/clone", "GET /cluster/nextid",
                                                    "POST /nodes/pve1/lxc/9000/clone",
                                                    "PUT /nodes/pve1/lxc/101/config"}));
    auto clones = requestsTo("POST", "/nodes/pve1/lxc/9000/clone");
    ASSERT_EQ(clones.size(), 2u);
    EXPECT_EQ(param(decodeForm(clones[0].body), "newid"), "100");
    EXPECT_EQ(param(decodeForm(clones[1].body), "newid"), "101");
    EXPECT_EQ(ctx.checkpoints()["vmid"], "101");
    // Nothing of someone else's CT 100 was touched.
    EXPECT_EQ(deletesOfGuests(), 0u);
    EXPECT_TRUE(requestsTo("GET", "/nodes/pve1/lxc/100/config").empty());
}

TEST_F(ProxmoxGuestCloneTest, AnExplicitVmidThatIsTakenIsMachineExistsNamingIt)
{
    sourceOn("pve1");
    cloneAnswers({serverError("CT 9101 already exists on node 'pve2'")});
    auto facts = driver->clone(source, kNewName, spec, true, ctx);
    ASSERT_FALSE(facts);
    EXPECT_EQ(facts.error().code, ErrorCode::MachineExists);
    EXPECT_NE(facts.error().message.find("9101"), std::string::npos) << facts.error().message;
    EXPECT_EQ(requestsTo("POST", "/nodes/pve1/lxc/9000/clone").size(), 1u);
    EXPECT_TRUE(requestsTo("GET", "/cluster/nextid").empty());
    EXPECT_EQ(deletesOfGuests(), 0u);
    EXPECT_TRUE(requestsTo("GET", "/nodes/pve1/lxc/9101/config").empty());
}

TEST_F(ProxmoxGuestCloneTest, ALockedSourceIsWaitedForAndTheCloneRetried)
{
    sourceOn("pve1");
    const std::string cloneUpid = upidFor("pve1", "vzclone", 9000, 1);
    cloneAnswers({serverError("CT is locked (disk)"), serverError("CT is locked (disk)"),
                  FakeHttpTransport::ok('"' + cloneUpid + '"')});
    task(cloneUpid);
    fake->on("PUT", "/nodes/pve1/lxc/9101/config", {FakeHttpTransport::ok("null")});

    auto facts = driver->clone(source, kNewName, spec, false, ctx);
    ASSERT_TRUE(facts) << facts.error().message;
    EXPECT_EQ(requestsTo("POST", "/nodes/pve1/lxc/9000/clone").size(), 3u);
    EXPECT_EQ(std::count(sleeps.begin(), sleeps.end(), std::chrono::milliseconds(2s)), 2);
    bool said = false;
    for (const auto& e : ctx.events())
        said |= e.message.find("locked") != std::string::npos;
    EXPECT_TRUE(said) << "the job says what it waits for";
    EXPECT_EQ(facts->vmid, 9101u);
}

// The cluster's vmid allocation lock serializes "choose a free id" with the
// call that takes it, for every create and clone of the cluster: waiting up
// to a minute for another client's clone of one template must not hold it.
TEST_F(ProxmoxGuestCloneTest, TheVmidLockIsNotHeldWhileWaitingForALockedSource)
{
    sourceOn("pve1");
    const std::string cloneUpid = upidFor("pve1", "vzclone", 9000, 1);
    cloneAnswers({serverError("CT is locked (disk)"), FakeHttpTransport::ok('"' + cloneUpid + '"')});
    task(cloneUpid);
    fake->on("PUT", "/nodes/pve1/lxc/9101/config", {FakeHttpTransport::ok("null")});
    bool waited = false, heldDuringWait = false;
    onSleep = [&](std::chrono::milliseconds d) {
        if (d != std::chrono::milliseconds(2s))
            return;
        waited = true;
        // Another job's thread asking for the lock.
        std::thread other([&] {
            if (cluster->vmidAllocation().try_lock())
                cluster->vmidAllocation().unlock();
            else
                heldDuringWait = true;
        });
        other.join();
    };
    auto facts = driver->clone(source, kNewName, spec, false, ctx);
    ASSERT_TRUE(facts) << facts.error().message;
    ASSERT_TRUE(waited);
    EXPECT_FALSE(heldDuringWait) << "other creates and clones of the cluster waited too";
}

TEST_F(ProxmoxGuestCloneTest, ALockedSourceWaitIsCutShortByACancel)
{
    sourceOn("pve1");
    cloneAnswers({serverError("CT is locked (disk)")});
    // The second "clone" report is the one saying it waits for the lock.
    int reports = 0;
    ctx.cancelWhen = [&](double, const std::string& step) { return step == "clone" && ++reports == 2; };
    auto facts = driver->clone(source, kNewName, spec, false, ctx);
    ASSERT_FALSE(facts);
    EXPECT_EQ(facts.error().code, ErrorCode::Cancelled);
    EXPECT_EQ(requestsTo("POST", "/nodes/pve1/lxc/9000/clone").size(), 1u);
    EXPECT_EQ(deletesOfGuests(), 0u);
}

// The clone call reached the server (CT 100 is being made, hostname ours)
// but its answer was lost to a timeout; the client sends it again, and the
// server answers "CT 100 already exists". That CT is this job's own: it must
// end up as the result or be removed, not be left behind while the job makes
// another one with the next id.
TEST(ProxmoxGuestCloneRetry, AFirstCloneWhoseAnswerWasLostIsNotLeftBehind)
{
    FakeHttpTransport server;
    auto transport = std::make_unique<AnswerLostTransport>(server);
    transport->dropAnswerOf = "POST /nodes/pve1/lxc/9000/clone";
    RetryPolicy retry;
    retry.sleep = [](std::chrono::milliseconds, std::stop_token stop) { return !stop.stop_requested(); };
    ClusterOptions opts;
    opts.name = "pve";
    auto cluster = std::make_shared<Cluster>(
        opts, std::move(transport), ClusterEndpoint{"pve", {"https://pve1:8006"}, "root@pam!zenith", "s3cret"}, retry);
    auto clusters = std::make_shared<ClusterSet>(std::vector<std::shared_ptr<Cluster>>{cluster});
    GuestDriverOptions o;
    o.sleep = [](std::chrono::milliseconds, std::stop_token stop) { return !stop.stop_requested(); };
    GuestDriver driver(o, clusters);

    server.on("GET", "/cluster/resources",
              {FakeHttpTransport::ok(R"([{"type":"lxc","vmid":9000,"node":"pve1","name":"cloudpod-template",)"
                                     R"("status":"stopped","template":1}])")});
    server.on("GET", "/cluster/nextid", {FakeHttpTransport::ok(R"("100")"), FakeHttpTransport::ok(R"("101")")});
    const std::string first = upidFor("pve1", "vzclone", 9000, 1), second = upidFor("pve1", "vzclone", 9000, 2);
    server.on("POST", "/nodes/pve1/lxc/9000/clone",
              {FakeHttpTransport::ok('"' + first + '"'), serverError("CT 100 already exists on node 'pve1'"),
               FakeHttpTransport::ok('"' + second + '"')});
    for (const auto& up : {first, second}) {
        server.on("GET", taskPath("pve1", up) + "/status",
                  {FakeHttpTransport::ok(R"({"status":"stopped","exitstatus":"OK"})")});
        server.on("GET", taskPath("pve1", up) + "/log", {FakeHttpTransport::ok("[]")});
    }
    server.on("GET", "/nodes/pve1/lxc/100/config", {FakeHttpTransport::ok(R"({"hostname":"migra-client-01"})")});
    server.on("DELETE", "/nodes/pve1/lxc/100",
              {FakeHttpTransport::ok('"' + upidFor("pve1", "vzdestroy", 100, 3) + '"')});
    server.on("PUT", "/nodes/pve1/lxc/100/config", {FakeHttpTransport::ok("null")});
    server.on("PUT", "/nodes/pve1/lxc/101/config", {FakeHttpTransport::ok("null")});

    core::MachineRecord source;
    source.name = "cloudpod-template";
    source.vmid = 9000;
    source.node = "pve1";
    source.location = "pve";
    core::MachineSpec spec;
    spec.cores = 2;
    RecordingJobContext ctx;
    auto facts = driver.clone(source, kNewName, spec, false, ctx);
    ASSERT_TRUE(facts) << facts.error().message;
    bool removed = false;
    for (const auto& r : server.requests())
        removed |= r.method == "DELETE" && shown(r).rfind("DELETE /nodes/pve1/lxc/100", 0) == 0;
    EXPECT_TRUE(facts->vmid == 100 || removed) << "the job made CT " << facts->vmid << " and left its CT 100 behind";
}

TEST_F(ProxmoxGuestCloneTest, ALinkedCloneThatCannotBeIsInvalidArgsSayingFullClone)
{
    sourceOn("pve1");
    cloneAnswers({serverError("Linked clone feature for 'local:9000/base-9000-disk-0.raw' is not available")});
    auto facts = driver->clone(source, kNewName, spec, true, ctx);
    ASSERT_FALSE(facts);
    EXPECT_EQ(facts.error().code, ErrorCode::InvalidArgs);
    EXPECT_NE(facts.error().message.find("full_clone"), std::string::npos) << facts.error().message;
    EXPECT_EQ(requestsTo("POST", "/nodes/pve1/lxc/9000/clone").size(), 1u);
    EXPECT_EQ(deletesOfGuests(), 0u);
    EXPECT_TRUE(requestsTo("PUT", "/nodes/pve1/lxc/9101/config").empty());
}

TEST_F(ProxmoxGuestCloneTest, AFullCloneAsksForItAndItsStorage)
{
    spec.backend.values["full_clone"] = core::SpecValue{true, "b"};
    spec.backend.values["storage"] = core::SpecValue{std::string("vmdata"), "s"};
    spec.backend.values["node"] = core::SpecValue{std::string("pve2"), "s"};
    sourceOn("pve1");
    const std::string cloneUpid = upidFor("pve1", "vzclone", 9000, 1);
    cloneAnswers({FakeHttpTransport::ok('"' + cloneUpid + '"')});
    task(cloneUpid);
    fake->on("PUT", "/nodes/pve2/lxc/9101/config", {FakeHttpTransport::ok("null")});
    auto facts = driver->clone(source, kNewName, spec, false, ctx);
    ASSERT_TRUE(facts) << facts.error().message;
    auto clone = requestsTo("POST", "/nodes/pve1/lxc/9000/clone");
    ASSERT_EQ(clone.size(), 1u);
    EXPECT_EQ(decodeForm(clone[0].body), (Params{{"newid", "9101"},
                                                 {"hostname", kNewName},
                                                 {"full", "1"},
                                                 {"storage", "vmdata"},
                                                 {"target", "pve2"}}));
    EXPECT_EQ(facts->node, "pve2");
    EXPECT_EQ(requestsTo("PUT", "/nodes/pve2/lxc/9101/config").size(), 1u);
}

TEST_F(ProxmoxGuestCloneTest, AFailedCloneTaskRemovesTheNewGuestWhenItIsOurs)
{
    sourceOn("pve1");
    const std::string cloneUpid = upidFor("pve1", "vzclone", 9000, 1);
    cloneAnswers({FakeHttpTransport::ok('"' + cloneUpid + '"')});
    task(cloneUpid, "clone failed: rsync: write failed: No space left on device (28)");
    configOf(9101, kNewName);
    removable(9101);

    auto facts = driver->clone(source, kNewName, spec, true, ctx);
    ASSERT_FALSE(facts);
    EXPECT_EQ(facts.error().code, ErrorCode::BackendFailed);
    EXPECT_NE(facts.error().message.find("No space left"), std::string::npos) << facts.error().message;
    auto del = requestsTo("DELETE", "/nodes/pve1/lxc/9101");
    ASSERT_EQ(del.size(), 1u);
    EXPECT_NE(del[0].url.find("purge=1"), std::string::npos) << del[0].url;
    EXPECT_NE(del[0].url.find("destroy-unreferenced-disks=1"), std::string::npos) << del[0].url;
    // Never configured, never started.
    EXPECT_TRUE(requestsTo("PUT", "/nodes/pve1/lxc/9101/config").empty());
    EXPECT_TRUE(requestsTo("POST", "/nodes/pve1/lxc/9101/status/start").empty());
}

TEST_F(ProxmoxGuestCloneTest, AFailedCloneTaskLeavesSomeoneElsesGuestAlone)
{
    sourceOn("pve1");
    const std::string cloneUpid = upidFor("pve1", "vzclone", 9000, 1);
    cloneAnswers({FakeHttpTransport::ok('"' + cloneUpid + '"')});
    task(cloneUpid, "clone failed: interrupted by signal");
    configOf(9101, "someone-elses-ct");
    removable(9101);

    auto facts = driver->clone(source, kNewName, spec, true, ctx);
    ASSERT_FALSE(facts);
    EXPECT_EQ(facts.error().code, ErrorCode::BackendFailed);
    EXPECT_EQ(requestsTo("GET", "/nodes/pve1/lxc/9101/config").size(), 1u);
    EXPECT_EQ(deletesOfGuests(), 0u);
    EXPECT_TRUE(requestsTo("POST", "/nodes/pve1/lxc/9101/status/stop").empty());
}

TEST_F(ProxmoxGuestCloneTest, ACancelDuringTheTaskStopsItAndRemovesTheGuest)
{
    sourceOn("pve1");
    const std::string cloneUpid = upidFor("pve1", "vzclone", 9000, 1);
    cloneAnswers({FakeHttpTransport::ok('"' + cloneUpid + '"')});
    fake->on("GET", taskPath("pve1", cloneUpid) + "/status", {FakeHttpTransport::ok(R"({"status":"running"})")});
    fake->on("GET", taskPath("pve1", cloneUpid) + "/log",
             {FakeHttpTransport::ok(R"([{"n":1,"t":"creating a clone of container 9000 with ID 9101"}])"),
              FakeHttpTransport::ok("[]")});
    fake->on("DELETE", taskPath("pve1", cloneUpid), {FakeHttpTransport::ok("null")});
    configOf(9101, kNewName);
    removable(9101);
    // Cancelled once the task has reported its first log line.
    ctx.cancelWhen = [](double fraction, const std::string& step) { return step == "clone" && fraction >= 0.05; };

    auto facts = driver->clone(source, kNewName, spec, true, ctx);
    ASSERT_FALSE(facts);
    EXPECT_EQ(facts.error().code, ErrorCode::Cancelled) << facts.error().message;

    auto reqs = fake->requests();
    size_t taskStop = reqs.size(), guestDelete = reqs.size();
    for (size_t i = 0; i < reqs.size(); ++i) {
        if (reqs[i].method != "DELETE")
            continue;
        if (reqs[i].url.find(taskPath("pve1", cloneUpid)) != std::string::npos)
            taskStop = std::min(taskStop, i);
        else if (shown(reqs[i]).rfind("DELETE /nodes/pve1/lxc/9101", 0) == 0)
            guestDelete = std::min(guestDelete, i);
    }
    ASSERT_LT(taskStop, reqs.size()) << "the clone task was not stopped";
    ASSERT_LT(guestDelete, reqs.size()) << "the half-made guest was not removed";
    EXPECT_LT(taskStop, guestDelete);
    EXPECT_TRUE(requestsTo("PUT", "/nodes/pve1/lxc/9101/config").empty());
    EXPECT_TRUE(requestsTo("POST", "/nodes/pve1/lxc/9101/status/start").empty());
}

TEST_F(ProxmoxGuestCloneTest, AConfigThatIsRefusedRollsTheCloneBack)
{
    sourceOn("pve1");
    const std::string cloneUpid = upidFor("pve1", "vzclone", 9000, 1);
    cloneAnswers({FakeHttpTransport::ok('"' + cloneUpid + '"')});
    task(cloneUpid);
    fake->on("PUT", "/nodes/pve1/lxc/9101/config",
             {Reply{400, "Parameter verification failed.",
                    R"({"errors":{"nameserver":"invalid format - value does not look like a valid IP address"},"data":null})"}});
    configOf(9101, kNewName);
    removable(9101);

    auto facts = driver->clone(source, kNewName, spec, true, ctx);
    ASSERT_FALSE(facts);
    EXPECT_EQ(facts.error().code, ErrorCode::InvalidArgs);
    EXPECT_NE(facts.error().message.find("nameserver"), std::string::npos) << facts.error().message;
    EXPECT_EQ(requestsTo("DELETE", "/nodes/pve1/lxc/9101").size(), 1u);
    EXPECT_TRUE(requestsTo("POST", "/nodes/pve1/lxc/9101/status/start").empty());
    auto steps = ctx.steps();
    EXPECT_NE(std::find(steps.begin(), steps.end(), "rollback"), steps.end());
}

TEST_F(ProxmoxGuestCloneTest, AFailedStartRollsTheCloneBack)
{
    sourceOn("pve1");
    const std::string cloneUpid = upidFor("pve1", "vzclone", 9000, 1);
    const std::string startUpid = upidFor("pve1", "vzstart", 9101, 2);
    cloneAnswers({FakeHttpTransport::ok('"' + cloneUpid + '"')});
    task(cloneUpid);
    fake->on("PUT", "/nodes/pve1/lxc/9101/config", {FakeHttpTransport::ok("null")});
    fake->on("POST", "/nodes/pve1/lxc/9101/status/start", {FakeHttpTransport::ok('"' + startUpid + '"')});
    task(startUpid, "startup for container '9101' failed");
    configOf(9101, kNewName);
    removable(9101);

    auto facts = driver->clone(source, kNewName, spec, true, ctx);
    ASSERT_FALSE(facts);
    EXPECT_EQ(facts.error().code, ErrorCode::BackendFailed);
    EXPECT_EQ(requestsTo("DELETE", "/nodes/pve1/lxc/9101").size(), 1u);
}

// A VM clone whose new id another node took meanwhile fails in its task
// (pmxcfs refuses the config file): nothing was made, the next id is tried,
// and the other node's VM is not touched.
TEST_F(ProxmoxGuestCloneTest, AVmCloneWhoseIdWasTakenInItsTaskTakesTheNextOne)
{
    GuestDriverOptions o;
    o.type = GuestType::Qemu;
    o.sleep = [](std::chrono::milliseconds, std::stop_token stop) { return !stop.stop_requested(); };
    GuestDriver qemu(o, clusters);
    source.vmid = 9100;
    source.name = "ubuntu-2404-template";
    source.backend = "proxmox-qemu";
    fake->on("GET", "/cluster/resources",
             {FakeHttpTransport::ok(R"([{"type":"qemu","vmid":9100,"node":"pve1","name":"ubuntu-2404-template",)"
                                    R"("status":"stopped","template":1}])")});
    fake->on("GET", "/cluster/nextid", {FakeHttpTransport::ok(R"("100")"), FakeHttpTransport::ok(R"("101")")});
    const std::string first = upidFor("pve1", "qmclone", 9100, 1), second = upidFor("pve1", "qmclone", 9100, 2);
    fake->on("POST", "/nodes/pve1/qemu/9100/clone",
             {FakeHttpTransport::ok('"' + first + '"'), FakeHttpTransport::ok('"' + second + '"')});
    task(first, "clone failed: close (rename) atomic file '/etc/pve/nodes/pve2/qemu-server/100.conf' failed: File exists");
    task(second);
    fake->on("PUT", "/nodes/pve1/qemu/101/config", {FakeHttpTransport::ok("null")});
    core::MachineSpec vm;
    vm.cores = 4;
    vm.memoryMax = 4ull << 30;
    auto facts = qemu.clone(source, "vm-client-01", vm, false, ctx);
    ASSERT_TRUE(facts) << facts.error().message;
    EXPECT_EQ(facts->vmid, 101u);
    auto clones = requestsTo("POST", "/nodes/pve1/qemu/9100/clone");
    ASSERT_EQ(clones.size(), 2u);
    EXPECT_EQ(decodeForm(clones[0].body), (Params{{"newid", "100"}, {"name", "vm-client-01"}}));
    EXPECT_EQ(param(decodeForm(clones[1].body), "newid"), "101");
    EXPECT_TRUE(requestsTo("GET", "/nodes/pve1/qemu/100/config").empty());
    EXPECT_EQ(deletesOfGuests(), 0u);
    auto put = requestsTo("PUT", "/nodes/pve1/qemu/101/config");
    ASSERT_EQ(put.size(), 1u);
    EXPECT_EQ(decodeForm(put[0].body), (Params{{"cores", "4"}, {"memory", "4096"}}));
}

TEST_F(ProxmoxGuestCloneTest, ASourceTheClusterNoLongerHasIsNoSuchMachine)
{
    fake->on("GET", "/cluster/resources", {FakeHttpTransport::ok("[]")});
    auto facts = driver->clone(source, kNewName, spec, true, ctx);
    ASSERT_FALSE(facts);
    EXPECT_EQ(facts.error().code, ErrorCode::NoSuchMachine);
    EXPECT_EQ(nonPolls(), (std::vector<std::string>{"GET /cluster/resources?type=vm"}));
}

}  // namespace
}  // namespace zenith::drivers::proxmox
