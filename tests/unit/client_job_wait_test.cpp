// libzenith-client against a fake provisioner on a private dbus-daemon:
// Job::wait (race-free start, progress order, results, vanished job, daemon
// leaving, timeout), error names mapped to kinds, spec types on the wire,
// and the ALLOW_INTERACTIVE_AUTHORIZATION header flag.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sdbus-c++/sdbus-c++.h>

#include "zenith/client/client.h"
#include "zenith/glue/job_adaptor.h"
#include "zenith/glue/manager_adaptor.h"
#include "private_bus.h"

extern char** environ;

namespace {

using namespace std::chrono_literals;
using zenith::client::Client;
using zenith::client::ConnectOptions;
using zenith::client::ErrorKind;
using zenith::client::JobOutcome;
using zenith::client::JobProgress;

bool allowsInteractive(const sdbus::Message* message);

class FakeJob final : public sdbus::AdaptorInterfaces<org::zenith::Provisioner::Job_adaptor, sdbus::Properties_adaptor> {
public:
    FakeJob(sdbus::IConnection& c, uint32_t id, std::string state)
        : AdaptorInterfaces(c, "/org/zenith/Provisioner/job/" + std::to_string(id)), id_(id), state_(std::move(state))
    {
        registerAdaptor();
    }
    ~FakeJob() { unregisterAdaptor(); }

    void progress(double p, const std::string& step, const std::string& message)
    {
        {
            std::lock_guard lock(mutex_);
            progress_ = p;
            step_ = step;
            message_ = message;
        }
        emitProgressChanged(p, step, message);
    }
    void finish(const std::string& result, const std::string& name, const std::string& text,
                const std::string& message = {})
    {
        {
            std::lock_guard lock(mutex_);
            state_ = result;
            errorName_ = name;
            errorMessage_ = text;
            if (!message.empty())
                message_ = message;
            if (result == "done")
                progress_ = 1.0;
        }
        getObject().emitPropertiesChangedSignal(org::zenith::Provisioner::Job_adaptor::INTERFACE_NAME, {"State", "ErrorName", "ErrorMessage", "Message"});
        emitCompleted(result, name, text);
    }
    // Fulfilled when a client first reads State: it has subscribed by then.
    std::future<void> stateRead() { return stateRead_.get_future(); }

private:
    void Cancel(sdbus::Result<>&& result) override { result.returnResults(); }
    uint32_t Id() override { return id_; }
    std::string Operation() override { return "create"; }
    std::string Machine() override { return "web1"; }
    std::string State() override
    {
        std::call_once(stateOnce_, [this] { stateRead_.set_value(); });
        std::lock_guard lock(mutex_);
        return state_;
    }
    double Progress() override { std::lock_guard lock(mutex_); return progress_; }
    std::string Step() override { std::lock_guard lock(mutex_); return step_; }
    std::string Message() override { std::lock_guard lock(mutex_); return message_; }
    uint32_t StartedByUID() override { return 0; }
    bool Cancelable() override { return true; }
    std::string ErrorName() override { std::lock_guard lock(mutex_); return errorName_; }
    std::string ErrorMessage() override { std::lock_guard lock(mutex_); return errorMessage_; }

    uint32_t id_;
    std::mutex mutex_;
    std::string state_, step_, message_, errorName_, errorMessage_;
    double progress_ = 0.0;
    std::promise<void> stateRead_;
    std::once_flag stateOnce_;
};

class FakeManager final : public sdbus::AdaptorInterfaces<org::zenith::Provisioner::Manager_adaptor> {
public:
    explicit FakeManager(sdbus::IConnection& c) : AdaptorInterfaces(c, "/org/zenith/Provisioner"), connection_(c)
    {
        registerAdaptor();
    }
    ~FakeManager() { unregisterAdaptor(); }

    FakeJob& addJob(uint32_t id, const std::string& state)
    {
        std::lock_guard lock(mutex_);
        auto& slot = jobs_[id];
        if (!slot)
            slot = std::make_unique<FakeJob>(connection_, id, state);
        return *slot;
    }

    std::mutex mutex_;
    std::map<std::string, sdbus::Variant> lastSpec;
    uint64_t lastFlags = 0;
    std::atomic<int> interactiveFlag{-1};
    std::atomic<uint32_t> cancelled{0};
    std::vector<sdbus::Struct<uint32_t, std::string, std::string, std::string, double, sdbus::ObjectPath>> jobRows;
    std::map<std::string, sdbus::Variant> lastBackupOptions;
    uint64_t lastBackupFlags = 0;
    std::string lastForward;  // "add web tcp 8022 22 4"

private:
    void CreateMachine(sdbus::Result<sdbus::ObjectPath, sdbus::ObjectPath>&& result, std::string name,
                       std::string backend, std::map<std::string, sdbus::Variant> spec, uint64_t flags) override
    {
        interactiveFlag = allowsInteractive(getObject().getCurrentlyProcessedMessage()) ? 1 : 0;
        if (name == "busy") {
            result.returnError(sdbus::Error("org.zenith.Provisioner.Error.Busy", "machine busy is locked by job 3"));
            return;
        }
        {
            std::lock_guard lock(mutex_);
            lastSpec = std::move(spec);
            lastFlags = flags;
        }
        addJob(7, "running");
        result.returnResults(sdbus::ObjectPath("/org/zenith/Provisioner/machine/" + name),
                             sdbus::ObjectPath("/org/zenith/Provisioner/job/7"));
    }
    void CloneMachine(sdbus::Result<sdbus::ObjectPath, sdbus::ObjectPath>&& r, std::string, std::string,
                      std::map<std::string, sdbus::Variant>, uint64_t) override
    {
        r.returnError(sdbus::Error("org.zenith.Provisioner.Error.NoSuchMachine", "no machine 'src'"));
    }
    void DestroyMachine(sdbus::Result<sdbus::ObjectPath>&& r, std::string, uint64_t) override
    {
        r.returnError(sdbus::Error("org.freedesktop.DBus.Error.AccessDenied", "not allowed"));
    }
    void StartMachine(sdbus::Result<sdbus::ObjectPath>&& r, std::string, uint64_t) override
    {
        r.returnError(sdbus::Error("org.freedesktop.DBus.Error.InteractiveAuthorizationRequired", "ask"));
    }
    void StopMachine(sdbus::Result<sdbus::ObjectPath>&& r, std::string, uint64_t) override
    {
        r.returnError(sdbus::Error("org.freedesktop.DBus.Error.LimitsExceeded", "too many jobs"));
    }
    void MakeTemplate(sdbus::Result<sdbus::ObjectPath>&& r, std::string, uint64_t) override
    {
        r.returnError(sdbus::Error("org.example.Unknown", "strange"));
    }
    void GetMachine(sdbus::Result<sdbus::ObjectPath>&& r, std::string) override
    {
        r.returnError(sdbus::Error("org.zenith.Provisioner.Error.NoSuchMachine", "no such machine"));
    }
    void ListMachines(sdbus::Result<std::vector<sdbus::Struct<std::string, std::string, std::string, std::string,
                                                              sdbus::ObjectPath>>>&& r) override
    {
        r.returnResults({{"web1", "nspawn", "running", "10.1.10.91", sdbus::ObjectPath("/org/zenith/Provisioner/machine/web1")}});
    }
    void ListJobs(sdbus::Result<std::vector<sdbus::Struct<uint32_t, std::string, std::string, std::string, double,
                                                          sdbus::ObjectPath>>>&& r) override
    {
        std::lock_guard lock(mutex_);
        r.returnResults(jobRows);
    }
    void ListImages(sdbus::Result<std::vector<sdbus::Struct<std::string, std::string, std::string, uint64_t>>>&& r,
                    std::string) override
    {
        r.returnResults({{"debian-bookworm-amd64", "base", "/var/lib/zenith/images/x.tar", 123456789ull}});
    }
    void ListPools(sdbus::Result<std::vector<sdbus::Struct<std::string, std::string, std::string, std::string,
                                                           std::vector<std::string>, uint32_t, uint32_t>>>&& r) override
    {
        r.returnResults({{"lab", "10.1.10.0/24", "10.1.10.1", "10.1.10.91-10.1.10.250", {"10.1.10.53"}, 160u, 3u}});
    }
    void ListBridges(sdbus::Result<std::vector<sdbus::Struct<
                         std::string, std::string, std::vector<std::string>,
                         std::vector<sdbus::Struct<std::string, std::string, std::string>>>>>&& r) override
    {
        r.returnResults({{"br0", "up", {"10.1.10.1/24", "fd10::1/64"}, {{"vi3", "up", "web"}, {"eth1", "up", ""}}},
                         {"br1", "missing", {}, {}}});
    }
    void ListLeases(sdbus::Result<std::vector<sdbus::Struct<std::string, std::string>>>&& r, std::string pool) override
    {
        if (pool != "lab")
            return r.returnError(sdbus::Error("org.freedesktop.DBus.Error.InvalidArgs", "no address pool 'x'"));
        r.returnResults({{"10.1.10.91", "migra-client-01"}});
    }
    void NextFreeAddress(sdbus::Result<std::string>&& r, std::string) override { r.returnResults("10.1.10.92/24"); }
    void NextFreeAddress6(sdbus::Result<std::string>&& r, std::string) override
    {
        r.returnResults("2001:db8:10::101/64");
    }
    void ListNodes(sdbus::Result<std::vector<sdbus::Struct<std::string, std::string, std::string, uint32_t, uint64_t,
                                                           uint64_t, uint64_t>>>&& r,
                   std::string backend) override
    {
        if (backend == "nspawn")
            return r.returnError(sdbus::Error("org.freedesktop.DBus.Error.NotSupported", "not on nspawn"));
        r.returnResults({{"sim", "pve1", "online", 16u, 64ull << 30, 16ull << 30, 90061ull}});
    }
    void ListStorages(sdbus::Result<std::vector<sdbus::Struct<std::string, std::string, std::string, std::string,
                                                              std::vector<std::string>, bool, bool, uint64_t,
                                                              uint64_t>>>&& r,
                      std::string) override
    {
        r.returnResults({{"sim", "pve1", "nfs-backup", "nfs", {"backup"}, true, true, 4ull << 40, 3ull << 40}});
    }
    void GetHealth(sdbus::Result<std::map<std::string, sdbus::Variant>>&& r, std::string) override
    {
        // A newer daemon's extra key and a mistyped one: ignored, defaults kept.
        r.returnResults({{"status", sdbus::Variant(std::string("running"))},
                         {"uptime", sdbus::Variant(uint64_t(3725))},
                         {"cpu", sdbus::Variant(0.5)},
                         {"cpus", sdbus::Variant(uint32_t(2))},
                         {"memory_max", sdbus::Variant(std::string("2G"))},
                         {"future_key", sdbus::Variant(true)}});
    }
    void ListBackups(sdbus::Result<std::vector<sdbus::Struct<std::string, std::string, std::string, std::string,
                                                             uint64_t, uint64_t, std::string>>>&& r,
                     std::string) override
    {
        r.returnResults({{"nfs-backup:backup/vzdump-lxc-9161.tar.zst", "sim", "pve1", "nfs-backup", 1234ull,
                          1748779200ull, "zenith: pod"}});
    }
    void BackupMachine(sdbus::Result<sdbus::ObjectPath>&& r, std::string, std::map<std::string, sdbus::Variant> options,
                       uint64_t flags) override
    {
        {
            std::lock_guard lock(mutex_);
            lastBackupOptions = std::move(options);
            lastBackupFlags = flags;
        }
        addJob(21, "running");
        r.returnResults(sdbus::ObjectPath("/org/zenith/Provisioner/job/21"));
    }
    void AddPortForward(sdbus::Result<sdbus::ObjectPath>&& r, std::string name, std::string proto, uint16_t host,
                        uint16_t machine, uint64_t flags) override
    {
        {
            std::lock_guard lock(mutex_);
            lastForward = fmt::format("add {} {} {} {} {}", name, proto, host, machine, flags);
        }
        addJob(22, "running");
        r.returnResults(sdbus::ObjectPath("/org/zenith/Provisioner/job/22"));
    }
    void RemovePortForward(sdbus::Result<sdbus::ObjectPath>&& r, std::string name, std::string proto, uint16_t host,
                           uint64_t flags) override
    {
        {
            std::lock_guard lock(mutex_);
            lastForward = fmt::format("remove {} {} {} {}", name, proto, host, flags);
        }
        addJob(23, "running");
        r.returnResults(sdbus::ObjectPath("/org/zenith/Provisioner/job/23"));
    }
    void ListPortForwards(
        sdbus::Result<std::vector<sdbus::Struct<std::string, std::string, uint16_t, uint16_t, std::string>>>&& r) override
    {
        r.returnResults({{"web", "tcp", 8022, 22, "10.1.10.91"}});
    }
    void CancelJob(sdbus::Result<>&& r, uint32_t id) override
    {
        cancelled = id;
        r.returnResults();
    }

    sdbus::IConnection& connection_;
    std::map<uint32_t, std::unique_ptr<FakeJob>> jobs_;
};

// sdbus-c++ 1.2 has no accessor for the header flag; see libclient's interactive_auth.cpp.
struct MessageAccess : sdbus::Message {
    static void* raw(const sdbus::Message& m) { return m.*(&MessageAccess::msg_); }
};
bool allowsInteractive(const sdbus::Message* message)
{
    return message && sd_bus_message_get_allow_interactive_authorization(
                          static_cast<sd_bus_message*>(MessageAccess::raw(*message))) > 0;
}

class ClientFakeBus : public ::testing::Test {
protected:
    void SetUp() override
    {
        server_ = sdbus::createSessionBusConnectionWithAddress(bus_.address());
        server_->requestName("org.zenith.Provisioner");
        manager_ = std::make_unique<FakeManager>(*server_);
        server_->enterEventLoopAsync();
    }
    void TearDown() override
    {
        manager_.reset();
        server_->leaveEventLoop();
    }
    Client connect(bool interactive = false)
    {
        ConnectOptions options;
        options.address = bus_.address();
        options.allowInteractiveAuthorization = interactive;
        auto client = Client::connect(options);
        EXPECT_TRUE(client.has_value()) << client.error().message;
        return std::move(*client);
    }

    zenith::testing::PrivateBus bus_;
    std::unique_ptr<sdbus::IConnection> server_;
    std::unique_ptr<FakeManager> manager_;
};

TEST_F(ClientFakeBus, AlreadyFinishedJobIsReportedWithItsMessage)
{
    auto& job = manager_->addJob(3, "running");
    job.finish("done", "", "", "plan: clone debian-bookworm into web1");
    auto client = connect();
    auto result = client.job(3).wait({}, 5s);
    ASSERT_TRUE(result.has_value()) << result.error().message;
    EXPECT_EQ(result->outcome, JobOutcome::Done);
    EXPECT_EQ(result->result, "done");
    EXPECT_EQ(result->message, "plan: clone debian-bookworm into web1");
    EXPECT_EQ(result->machine, "web1");
    EXPECT_EQ(result->operation, "create");
}

TEST_F(ClientFakeBus, ProgressArrivesInOrderThenTheFailure)
{
    auto client = connect();
    zenith::client::Spec spec;
    spec.setRelease("bookworm");
    auto made = client.create("web1", "nspawn", spec, zenith::client::kFlagNoStart);
    ASSERT_TRUE(made.has_value()) << made.error().message;
    EXPECT_EQ(made->job.id(), 7u);
    EXPECT_EQ(made->machinePath, "/org/zenith/Provisioner/machine/web1");

    // The fake only emits once the client has read State, i.e. after it
    // subscribed: anything emitted from then on must reach the callback.
    FakeJob* job = &manager_->addJob(8, "running");
    auto subscribed = job->stateRead();
    std::thread emitter([&] {
        subscribed.wait();
        job->progress(0.3, "base-image", "Retrieving packages");
        job->progress(0.6, "clone", "Copying rootfs");
        job->finish("failed", "org.zenith.Provisioner.Error.BackendFailed", "debootstrap exited with status 1");
    });
    std::vector<JobProgress> seen;
    auto result = client.job(8).wait([&](const JobProgress& p) { seen.push_back(p); }, 10s);
    emitter.join();
    ASSERT_TRUE(result.has_value()) << result.error().message;
    EXPECT_EQ(result->outcome, JobOutcome::Failed);
    EXPECT_EQ(result->errorKind, ErrorKind::BackendFailed);
    EXPECT_EQ(result->errorMessage, "debootstrap exited with status 1");
    ASSERT_GE(seen.size(), 3u);
    EXPECT_DOUBLE_EQ(seen.front().progress, 0.0);
    bool saw30 = false, saw60 = false;
    for (size_t i = 1; i < seen.size(); ++i) {
        EXPECT_GE(seen[i].progress, seen[i - 1].progress);
        saw30 |= seen[i].progress == 0.3 && seen[i].step == "base-image" && seen[i].message == "Retrieving packages";
        saw60 |= seen[i].progress == 0.6 && seen[i].step == "clone";
    }
    EXPECT_TRUE(saw30);
    EXPECT_TRUE(saw60);
}

TEST_F(ClientFakeBus, CancelledJobEndsCancelled)
{
    auto& job = manager_->addJob(9, "running");
    auto subscribed = job.stateRead();
    std::thread emitter([&] {
        subscribed.wait();
        job.finish("cancelled", "org.zenith.Provisioner.Error.Cancelled", "cancelled by uid 0");
    });
    auto client = connect();
    auto result = client.job(9).wait({}, 10s);
    emitter.join();
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->outcome, JobOutcome::Cancelled);
    EXPECT_EQ(result->errorKind, ErrorKind::Cancelled);
}

TEST_F(ClientFakeBus, VanishedJobIsNoSuchJob)
{
    auto client = connect();
    auto result = client.job(99).wait({}, 5s);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().kind, ErrorKind::NoSuchJob);
    EXPECT_NE(result.error().message.find("job 99"), std::string::npos);
}

TEST_F(ClientFakeBus, VanishedJobStillListedGivesItsResult)
{
    {
        std::lock_guard lock(manager_->mutex_);
        manager_->jobRows.push_back({42u, "destroy", "old", "cancelled", 0.5, sdbus::ObjectPath("/org/zenith/Provisioner/job/42")});
    }
    auto client = connect();
    auto result = client.job(42).wait({}, 5s);
    ASSERT_TRUE(result.has_value()) << result.error().message;
    EXPECT_EQ(result->outcome, JobOutcome::Cancelled);
    EXPECT_EQ(result->machine, "old");
    EXPECT_EQ(result->operation, "destroy");
}

TEST_F(ClientFakeBus, DaemonLeavingEndsTheWait)
{
    auto& job = manager_->addJob(11, "running");
    auto subscribed = job.stateRead();
    std::thread leaver([&] {
        subscribed.wait();
        server_->releaseName("org.zenith.Provisioner");
    });
    auto client = connect();
    auto result = client.job(11).wait({}, 10s);
    leaver.join();
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().kind, ErrorKind::Disconnected);
}

TEST_F(ClientFakeBus, WaitTimesOutWhileTheJobRuns)
{
    manager_->addJob(12, "running");
    auto client = connect();
    auto started = std::chrono::steady_clock::now();
    auto result = client.job(12).wait({}, 300ms);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().kind, ErrorKind::Timeout);
    EXPECT_GE(std::chrono::steady_clock::now() - started, 300ms);
}

TEST_F(ClientFakeBus, DaemonErrorsKeepNameMessageAndKind)
{
    auto client = connect();
    auto busy = client.create("busy", "nspawn", {});
    ASSERT_FALSE(busy.has_value());
    EXPECT_EQ(busy.error().kind, ErrorKind::Busy);
    EXPECT_EQ(busy.error().name, "org.zenith.Provisioner.Error.Busy");
    EXPECT_EQ(busy.error().message, "machine busy is locked by job 3");

    EXPECT_EQ(client.clone("src", "dst", {}).error().kind, ErrorKind::NoSuchMachine);
    EXPECT_EQ(client.destroy("x").error().kind, ErrorKind::AccessDenied);
    EXPECT_EQ(client.start("x").error().kind, ErrorKind::InteractiveAuthorizationRequired);
    EXPECT_EQ(client.stop("x").error().kind, ErrorKind::LimitsExceeded);
    auto other = client.makeTemplate("x");
    EXPECT_EQ(other.error().kind, ErrorKind::Other);
    EXPECT_EQ(other.error().name, "org.example.Unknown");
    EXPECT_EQ(client.machine("nope").error().kind, ErrorKind::NoSuchMachine);
}

TEST_F(ClientFakeBus, ListsAndCancelReachTheManager)
{
    auto client = connect();
    auto machines = client.machines();
    ASSERT_TRUE(machines.has_value());
    ASSERT_EQ(machines->size(), 1u);
    EXPECT_EQ((*machines)[0].address, "10.1.10.91");
    auto images = client.images("nspawn");
    ASSERT_TRUE(images.has_value());
    EXPECT_EQ((*images)[0].size, 123456789u);
    ASSERT_TRUE(client.cancel(17).has_value());
    EXPECT_EQ(manager_->cancelled.load(), 17u);
}

TEST_F(ClientFakeBus, PoolsLeasesAndTheNextAddress)
{
    auto client = connect();
    auto pools = client.pools();
    ASSERT_TRUE(pools.has_value()) << pools.error().message;
    ASSERT_EQ(pools->size(), 1u);
    EXPECT_EQ((*pools)[0].range, "10.1.10.91-10.1.10.250");
    EXPECT_EQ((*pools)[0].dns, std::vector<std::string>{"10.1.10.53"});
    EXPECT_EQ((*pools)[0].size, 160u);
    EXPECT_EQ((*pools)[0].leased, 3u);
    auto leases = client.leases("lab");
    ASSERT_TRUE(leases.has_value());
    EXPECT_EQ((*leases)[0].machine, "migra-client-01");
    EXPECT_EQ(client.leases("x").error().kind, ErrorKind::InvalidArgs);
    EXPECT_EQ(client.nextFreeAddress("lab").value_or(""), "10.1.10.92/24");
}

TEST_F(ClientFakeBus, PortForwardsListedAddedAndRemoved)
{
    auto client = connect();
    auto rows = client.portForwards();
    ASSERT_TRUE(rows.has_value()) << rows.error().message;
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ((*rows)[0].machine, "web");
    EXPECT_EQ((*rows)[0].hostPort, 8022);
    EXPECT_EQ((*rows)[0].machinePort, 22);
    EXPECT_EQ((*rows)[0].address, "10.1.10.91");
    auto added = client.addPortForward("web", {"tcp", 8080, 80}, zenith::client::kFlagDryRun);
    ASSERT_TRUE(added.has_value()) << added.error().message;
    EXPECT_EQ(added->id(), 22u);
    {
        std::lock_guard lock(manager_->mutex_);
        EXPECT_EQ(manager_->lastForward, "add web tcp 8080 80 4");
    }
    auto removed = client.removePortForward("web", "udp", 5353);
    ASSERT_TRUE(removed.has_value()) << removed.error().message;
    std::lock_guard lock(manager_->mutex_);
    EXPECT_EQ(manager_->lastForward, "remove web udp 5353 0");
}

TEST_F(ClientFakeBus, BridgesWithTheirPortsAndMachines)
{
    auto client = connect();
    auto bridges = client.bridges();
    ASSERT_TRUE(bridges.has_value()) << bridges.error().message;
    ASSERT_EQ(bridges->size(), 2u);
    const auto& br0 = (*bridges)[0];
    EXPECT_EQ(br0.name, "br0");
    EXPECT_EQ(br0.state, "up");
    EXPECT_EQ(br0.addresses, (std::vector<std::string>{"10.1.10.1/24", "fd10::1/64"}));
    ASSERT_EQ(br0.ports.size(), 2u);
    EXPECT_EQ(br0.ports[0].link, "vi3");
    EXPECT_EQ(br0.ports[0].machine, "web");
    EXPECT_EQ(br0.ports[1].machine, "");
    EXPECT_EQ((*bridges)[1].state, "missing");
    EXPECT_TRUE((*bridges)[1].ports.empty());
}

TEST_F(ClientFakeBus, ClusterReadsAndBackupReachTheManager)
{
    auto client = connect();
    auto nodes = client.nodes("proxmox-lxc");
    ASSERT_TRUE(nodes.has_value()) << nodes.error().message;
    ASSERT_EQ(nodes->size(), 1u);
    EXPECT_EQ((*nodes)[0].node, "pve1");
    EXPECT_EQ((*nodes)[0].cpus, 16u);
    EXPECT_EQ((*nodes)[0].memoryUsed, 16ull << 30);
    EXPECT_EQ((*nodes)[0].uptime, 90061u);
    EXPECT_EQ(client.nodes("nspawn").error().kind, ErrorKind::NotSupported);

    auto storages = client.storages("proxmox-lxc");
    ASSERT_TRUE(storages.has_value());
    EXPECT_EQ((*storages)[0].content, std::vector<std::string>{"backup"});
    EXPECT_TRUE((*storages)[0].shared);
    EXPECT_EQ((*storages)[0].avail, 3ull << 40);

    auto health = client.health("pod");
    ASSERT_TRUE(health.has_value());
    EXPECT_EQ(health->status, "running");
    EXPECT_EQ(health->uptime, 3725u);
    EXPECT_DOUBLE_EQ(health->cpu, 0.5);
    EXPECT_EQ(health->cpus, 2u);
    EXPECT_EQ(health->memoryMax, 0u) << "a mistyped value keeps the default";

    auto backups = client.backups("pod");
    ASSERT_TRUE(backups.has_value());
    ASSERT_EQ(backups->size(), 1u);
    EXPECT_EQ((*backups)[0].storage, "nfs-backup");
    EXPECT_EQ((*backups)[0].ctime, 1748779200u);
    EXPECT_EQ((*backups)[0].notes, "zenith: pod");

    // Only the options given travel; flags as given.
    auto job = client.backup("pod", {.storage = "nfs-backup"}, zenith::client::kFlagDryRun);
    ASSERT_TRUE(job.has_value()) << job.error().message;
    EXPECT_EQ(job->id(), 21u);
    {
        std::lock_guard lock(manager_->mutex_);
        ASSERT_EQ(manager_->lastBackupOptions.size(), 1u);
        EXPECT_EQ(manager_->lastBackupOptions.at("storage").get<std::string>(), "nfs-backup");
        EXPECT_EQ(manager_->lastBackupFlags, zenith::client::kFlagDryRun);
    }
    ASSERT_TRUE(client.backup("pod", {.storage = "", .mode = "stop"}).has_value());
    std::lock_guard lock(manager_->mutex_);
    EXPECT_EQ(manager_->lastBackupOptions.size(), 1u);
    EXPECT_EQ(manager_->lastBackupOptions.at("mode").get<std::string>(), "stop");
    EXPECT_EQ(zenith::client::kFlagBackupFirst, 8u);
}

TEST_F(ClientFakeBus, SpecTravelsWithTheContractTypes)
{
    auto client = connect();
    zenith::client::Spec spec;
    spec.setCpuQuota(150).setMemoryMax(1ull << 30).setSsh(true).addSshAuthorizedKey("ssh-ed25519 AAAA a@b");
    spec.setPorts({{"tcp", 8080, 80}}).setTunnel({{"remote", "203.0.113.1"}}).setPassword("s3cret");
    ASSERT_TRUE(client.create("web1", "nspawn", spec, zenith::client::kFlagDryRun).has_value());
    std::lock_guard lock(manager_->mutex_);
    auto& got = manager_->lastSpec;
    EXPECT_EQ(manager_->lastFlags, zenith::client::kFlagDryRun);
    EXPECT_EQ(got.at("cpu_quota").peekValueType(), "u");
    EXPECT_EQ(got.at("cpu_quota").get<uint32_t>(), 150u);
    EXPECT_EQ(got.at("memory_max").peekValueType(), "t");
    EXPECT_EQ(got.at("ssh").peekValueType(), "b");
    EXPECT_EQ(got.at("ssh_authorized_keys").peekValueType(), "as");
    EXPECT_EQ(got.at("ports").peekValueType(), "a(sqq)");
    EXPECT_EQ(got.at("tunnel").peekValueType(), "a{sv}");
    EXPECT_EQ(got.at("password").get<std::string>(), "s3cret");
    EXPECT_EQ(got.size(), 7u);
}

TEST_F(ClientFakeBus, InteractiveAuthorizationFlagIsOnTheWireOnlyWhenAsked)
{
    {
        auto plain = connect(false);
        ASSERT_TRUE(plain.create("web1", "nspawn", {}).has_value());
        EXPECT_EQ(manager_->interactiveFlag.load(), 0);
    }
    auto interactive = connect(true);
    ASSERT_TRUE(interactive.create("web1", "nspawn", {}).has_value());
    EXPECT_EQ(manager_->interactiveFlag.load(), 1);
}

TEST(ClientConnect, UnreachableBusIsDisconnected)
{
    ConnectOptions options;
    options.address = "unix:path=/nonexistent/zenith-test-bus";
    auto client = Client::connect(options);
    ASSERT_FALSE(client.has_value());
    EXPECT_EQ(client.error().kind, ErrorKind::Disconnected);
    EXPECT_NE(client.error().message.find("/nonexistent/zenith-test-bus"), std::string::npos);
}

TEST(ClientConnect, HostAndAddressTogetherAreRejected)
{
    ConnectOptions options;
    options.address = "unix:path=/x";
    options.host = "root@example";
    auto client = Client::connect(options);
    ASSERT_FALSE(client.has_value());
    EXPECT_EQ(client.error().kind, ErrorKind::InvalidArgs);
}

}  // namespace
