// The bus facade end to end on a private dbus-daemon: the real Manager, Job
// and Machine objects, the real Engine and Registry, a scripted driver and a
// scripted authorizer (the live polkitd path is tests/bus). A client on its
// own connection sees what any bus client would.
#include <gtest/gtest.h>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <sdbus-c++/sdbus-c++.h>

#include "core/engine.h"
#include "core/registry.h"
#include "dbus/event_loop.h"
#include "dbus/provisioner_service.h"

extern char** environ;

namespace fs = std::filesystem;
using namespace zenith;
using namespace std::chrono_literals;
using core::ErrorCode;

namespace {

constexpr const char* kService = "org.zenith.Provisioner";
constexpr const char* kManager = "org.zenith.Provisioner.Manager";
constexpr const char* kJob = "org.zenith.Provisioner.Job";
constexpr const char* kMachine = "org.zenith.Provisioner.Machine";

// Reports progress 100 times over ~300 ms, or, when `block` is set, waits
// for cancel.
class ScriptedDriver final : public drivers::Driver {
public:
    std::atomic<bool> block{false};

    std::string_view id() const override { return "nspawn"; }
    std::string_view kind() const override { return "container"; }
    core::Result<void> validate(const core::MachineSpec&) const override { return {}; }
    std::string plan(const std::string& name, const core::MachineSpec&) const override
    {
        return "would create " + name + " from debian bookworm";
    }
    core::Result<drivers::MachineFacts> create(const std::string& name, const core::MachineSpec&, bool,
                                               drivers::JobContext& ctx) override
    {
        if (block) {
            std::mutex mu;
            std::condition_variable_any cv;
            std::unique_lock l(mu);
            cv.wait(l, ctx.stopToken(), [] { return false; });
            return core::fail(ErrorCode::Cancelled, "cancelled while creating");
        }
        for (int i = 1; i <= 100; ++i) {
            // A 3 ms first step, then two long ones: every step must reach
            // clients even when it is shorter than the rate limit.
            const char* step = i == 1 ? "architecture" : i <= 50 ? "fetch" : "unpack";
            ctx.progress(i / 100.0, step, "update " + std::to_string(i));
            std::this_thread::sleep_for(3ms);
        }
        return drivers::MachineFacts{.distro = "debian", .release = "bookworm", .arch = "amd64",
                                     .addresses = {"10.1.10.91"}, .location = "/fake/" + name};
    }
    core::Result<drivers::MachineFacts> clone(const core::MachineRecord&, const std::string& n,
                                              const core::MachineSpec& s, bool start, drivers::JobContext& c) override
    {
        return create(n, s, start, c);
    }
    core::Result<void> start(const core::MachineRecord&, drivers::JobContext&) override { return {}; }
    core::Result<void> stop(const core::MachineRecord&, bool, drivers::JobContext&) override { return {}; }
    core::Result<void> destroy(const core::MachineRecord&, bool, drivers::JobContext&) override { return {}; }
    core::Result<void> makeTemplate(const core::MachineRecord&, drivers::JobContext&) override { return {}; }
    core::MachineState probe(const core::MachineRecord&) override { return core::MachineState::Running; }
    void rollbackPartial(const core::MachineRecord&) override {}
    core::Result<std::vector<drivers::ImageInfo>> images() override
    {
        return std::vector<drivers::ImageInfo>{{"debian-bookworm-amd64", "base", "/fake/img", 1234}};
    }
    void setStateListener(StateListener) override {}
};

// Answers later, on the loop, as polkit would; records what it was asked.
class ScriptedAuthorizer final : public dbus::Authorizer {
public:
    explicit ScriptedAuthorizer(dbus::EventLoop& loop) : loop_(loop) {}
    std::mutex mu;
    std::optional<core::Error> refuse;
    std::vector<std::pair<dbus::CallerInfo, dbus::AuthRequest>> asked;

    void check(const dbus::CallerInfo& caller, const dbus::AuthRequest& request, dbus::AuthCallback done) override
    {
        core::Result<void> answer;
        {
            std::lock_guard l(mu);
            asked.emplace_back(caller, request);
            if (refuse)
                answer = std::unexpected(*refuse);
        }
        loop_.post([done, answer] { done(answer); });
    }
    size_t count()
    {
        std::lock_guard l(mu);
        return asked.size();
    }

private:
    dbus::EventLoop& loop_;
};

struct SeenSignal {
    std::string path, interface, member;
    std::vector<std::string> strings;  // string arguments (when the signature starts with them)
    double progress = -1;
    std::chrono::steady_clock::time_point at;
};

class DbusServiceTest : public ::testing::Test {
protected:
    fs::path dir;
    std::string address;
    pid_t busPid = -1;

    std::unique_ptr<sdbus::IConnection> serverConn;
    std::unique_ptr<dbus::EventLoop> loop;
    std::unique_ptr<core::Registry> registry;
    ScriptedDriver* driver = nullptr;
    std::unique_ptr<core::Engine> engine;
    std::unique_ptr<ScriptedAuthorizer> authorizer;
    std::unique_ptr<dbus::ProvisionerService> service;
    std::thread loopThread;

    std::unique_ptr<sdbus::IConnection> clientConn;
    std::unique_ptr<sdbus::IProxy> manager;
    sdbus::Slot match;
    std::mutex sigMu;
    std::condition_variable sigCv;
    std::vector<SeenSignal> signals;

    void SetUp() override
    {
        dir = fs::temp_directory_path() / ("zenith-dbus-service-test-" + std::to_string(::getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir);
        startBus();

        serverConn = sdbus::createSessionBusConnectionWithAddress(address);
        serverConn->requestName(kService);
        loop = std::move(*dbus::EventLoop::create());
        ASSERT_TRUE(loop->attach(*serverConn));
        auto reg = core::Registry::open((dir / "zenith.db").string());
        ASSERT_TRUE(reg) << reg.error().message;
        registry = std::move(*reg);
        auto d = std::make_unique<ScriptedDriver>();
        driver = d.get();
        std::vector<std::unique_ptr<drivers::Driver>> drivers;
        drivers.push_back(std::move(d));
        engine = std::make_unique<core::Engine>(core::Config{}, *registry, std::move(drivers));
        authorizer = std::make_unique<ScriptedAuthorizer>(*loop);
        service = std::make_unique<dbus::ProvisionerService>(*serverConn, *loop, *engine, *authorizer, 400ms);
        engine->setObserver(service.get());
        ASSERT_TRUE(engine->recover());
        service->publishAll();
        loopThread = std::thread([this] { loop->run(); });

        clientConn = sdbus::createSessionBusConnectionWithAddress(address);
        match = clientConn->addMatch("type='signal',sender='org.zenith.Provisioner'", [this](sdbus::Message& m) {
            SeenSignal s{m.getPath(), m.getInterfaceName(), m.getMemberName(), {}, -1,
                         std::chrono::steady_clock::now()};
            try {
                if (s.member == "ProgressChanged") {
                    std::string step, message;
                    m >> s.progress >> step >> message;
                    s.strings = {step, message};
                } else if (s.member == "Completed") {
                    std::string a, b, c;
                    m >> a >> b >> c;
                    s.strings = {a, b, c};
                } else if (s.member == "JobRemoved") {
                    uint32_t id;
                    sdbus::ObjectPath p;
                    std::string result;
                    m >> id >> p >> result;
                    s.strings = {p, result};
                } else if (s.member == "PropertiesChanged") {
                    // strings: interface, then each changed name (State also as State=VALUE).
                    std::string iface;
                    std::map<std::string, sdbus::Variant> changed;
                    m >> iface >> changed;
                    s.strings = {iface};
                    for (auto& [name, value] : changed) {
                        s.strings.push_back(name);
                        if (name == "State")
                            s.strings.push_back("State=" + value.get<std::string>());
                    }
                } else if (s.member == "JobNew" || s.member == "InterfacesAdded" ||
                           s.member == "InterfacesRemoved") {
                    if (s.member == "JobNew") {
                        uint32_t id;
                        m >> id;
                    }
                    sdbus::ObjectPath p;
                    m >> p;
                    s.strings = {p};
                }
            } catch (const sdbus::Error&) {
            }
            std::lock_guard l(sigMu);
            signals.push_back(std::move(s));
            sigCv.notify_all();
        });
        clientConn->enterEventLoopAsync();
        manager = sdbus::createProxy(*clientConn, kService, "/org/zenith/Provisioner");
    }

    void TearDown() override
    {
        manager.reset();
        match = {};
        if (clientConn)
            clientConn->leaveEventLoop();
        clientConn.reset();
        if (loopThread.joinable()) {
            loop->post([this] { loop->exit(0); });
            loopThread.join();
        }
        engine.reset();
        service.reset();
        authorizer.reset();
        loop.reset();
        serverConn.reset();
        if (busPid > 0) {
            ::kill(busPid, SIGTERM);
            int status = 0;
            ::waitpid(busPid, &status, 0);
        }
        fs::remove_all(dir);
    }

    void startBus()
    {
        const auto socket = dir / "bus";
        const auto config = dir / "bus.conf";
        std::ofstream(config) << "<busconfig><type>session</type><listen>unix:path=" << socket.string()
                              << "</listen><auth>EXTERNAL</auth><policy context=\"default\"><allow user=\"*\"/>"
                                 "<allow own=\"*\"/><allow send_destination=\"*\"/><allow receive_sender=\"*\"/>"
                                 "</policy></busconfig>\n";
        const std::string configArg = "--config-file=" + config.string();
        const char* argv[] = {"dbus-daemon", configArg.c_str(), "--nofork", "--nopidfile", nullptr};
        ASSERT_EQ(posix_spawnp(&busPid, "dbus-daemon", nullptr, nullptr, const_cast<char**>(argv), environ), 0);
        for (int i = 0; i < 500 && !fs::exists(socket); ++i)
            std::this_thread::sleep_for(10ms);
        ASSERT_TRUE(fs::exists(socket)) << "dbus-daemon did not come up";
        address = "unix:path=" + socket.string();
    }

    std::vector<SeenSignal> signalsOn(const std::string& path, const std::string& member)
    {
        std::lock_guard l(sigMu);
        std::vector<SeenSignal> out;
        for (const auto& s : signals)
            if (s.path == path && s.member == member)
                out.push_back(s);
        return out;
    }
    bool waitSignal(const std::string& path, const std::string& member, std::chrono::milliseconds timeout = 10s)
    {
        std::unique_lock l(sigMu);
        return sigCv.wait_for(l, timeout, [&] {
            for (const auto& s : signals)
                if (s.path == path && s.member == member)
                    return true;
            return false;
        });
    }

    std::pair<std::string, std::string> create(const std::string& name, std::map<std::string, sdbus::Variant> spec,
                                               uint64_t flags = 0)
    {
        sdbus::ObjectPath machine, job;
        manager->callMethod("CreateMachine")
            .onInterface(kManager)
            .withArguments(name, std::string("nspawn"), spec, flags)
            .storeResultsTo(machine, job);
        return {machine, job};
    }

    template <typename T>
    T property(const std::string& path, const char* iface, const char* name)
    {
        auto p = sdbus::createProxy(*clientConn, kService, path);
        return p->getProperty(name).onInterface(iface).get<T>();
    }

    // Runs `call` and returns the bus error name ("" when it succeeded).
    std::string errorOf(const std::function<void()>& call, std::string* message = nullptr)
    {
        try {
            call();
        } catch (const sdbus::Error& e) {
            if (message)
                *message = e.getMessage();
            return e.getName();
        }
        return "";
    }

    std::vector<core::AuditEntry> audit()
    {
        auto a = registry->auditEntries();
        EXPECT_TRUE(a);
        return a ? *a : std::vector<core::AuditEntry>{};
    }
};

}  // namespace

TEST_F(DbusServiceTest, IntrospectionShowsTheContractWithArgumentNames)
{
    std::string xml;
    manager->callMethod("Introspect").onInterface("org.freedesktop.DBus.Introspectable").storeResultsTo(xml);
    EXPECT_NE(xml.find("<interface name=\"org.zenith.Provisioner.Manager\">"), std::string::npos);
    EXPECT_NE(xml.find("<interface name=\"org.freedesktop.DBus.ObjectManager\">"), std::string::npos);
    EXPECT_NE(xml.find("<method name=\"CreateMachine\">"), std::string::npos);
    EXPECT_NE(xml.find("name=\"backend\""), std::string::npos);
    EXPECT_NE(xml.find("<signal name=\"JobRemoved\">"), std::string::npos);
}

TEST_F(DbusServiceTest, UnknownSpecKeyIsInvalidArgsAndChangesNothing)
{
    std::string message;
    auto err = errorOf([&] { create("web1", {{"bogus_key", sdbus::Variant(std::string("x"))}}); }, &message);
    EXPECT_EQ(err, "org.freedesktop.DBus.Error.InvalidArgs");
    EXPECT_NE(message.find("bogus_key"), std::string::npos) << message;
    EXPECT_TRUE(engine->machines().empty());
    EXPECT_TRUE(engine->jobs().empty());
    EXPECT_EQ(authorizer->count(), 0u) << "invalid input is refused before polkit is asked";
    auto a = audit();
    ASSERT_FALSE(a.empty());
    EXPECT_EQ(a.front().outcome, "invalid");
    EXPECT_EQ(a.front().uid, ::getuid());
    EXPECT_EQ(a.front().machine, "web1");
}

TEST_F(DbusServiceTest, WrongTypeAndUnknownFlagsAreInvalidArgs)
{
    std::string message;
    EXPECT_EQ(errorOf([&] { create("web1", {{"cpu_quota", sdbus::Variant(std::vector<uint8_t>{1})}}); }, &message),
              "org.freedesktop.DBus.Error.InvalidArgs");
    EXPECT_NE(message.find("cpu_quota"), std::string::npos) << message;
    EXPECT_EQ(errorOf([&] { create("web1", {}, 64); }), "org.freedesktop.DBus.Error.InvalidArgs");
    EXPECT_EQ(errorOf([&] { create("Bad_Name", {}); }), "org.freedesktop.DBus.Error.InvalidArgs");
    EXPECT_TRUE(engine->machines().empty());
}

TEST_F(DbusServiceTest, DeniedRequestIsAccessDeniedAuditedAndChangesNothing)
{
    authorizer->refuse = core::Error{ErrorCode::AccessDenied, "org.zenith.provisioner.create is not allowed by polkit"};
    EXPECT_EQ(errorOf([&] { create("web1", {{"release", sdbus::Variant(std::string("bookworm"))}}); }),
              "org.freedesktop.DBus.Error.AccessDenied");
    EXPECT_TRUE(engine->machines().empty());
    EXPECT_TRUE(engine->jobs().empty());
    ASSERT_EQ(authorizer->count(), 1u);
    const auto& [caller, req] = authorizer->asked.front();
    EXPECT_EQ(caller.uid, ::getuid());
    EXPECT_EQ(caller.sender, clientConn->getUniqueName());
    EXPECT_FALSE(caller.allowInteractive);
    EXPECT_EQ(req.action, "create");
    EXPECT_EQ(req.verb, "create");
    EXPECT_EQ(req.machine, "web1");
    EXPECT_EQ(req.backend, "nspawn");
    auto a = audit();
    ASSERT_FALSE(a.empty());
    EXPECT_EQ(a.front().outcome, "denied");
}

TEST_F(DbusServiceTest, InteractiveAuthorizationRequiredReachesTheCaller)
{
    authorizer->refuse = core::Error{ErrorCode::InteractiveAuthorizationRequired, "needs a password"};
    EXPECT_EQ(errorOf([&] { create("web1", {}); }), "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired");
    EXPECT_TRUE(engine->machines().empty());
}

TEST_F(DbusServiceTest, CreateRunsAJobWithRateLimitedProgressAndAMachineObject)
{
    const auto t0 = std::chrono::steady_clock::now();
    auto [machinePath, jobPath] = create("web1", {{"release", sdbus::Variant(std::string("bookworm"))}});
    EXPECT_EQ(machinePath, "/org/zenith/Provisioner/machine/web1");
    EXPECT_EQ(jobPath, "/org/zenith/Provisioner/job/1");
    // The objects exist when the reply arrives.
    EXPECT_EQ(property<std::string>(jobPath, kJob, "Operation"), "create");
    EXPECT_EQ(property<std::string>(machinePath, kMachine, "Name"), "web1");
    EXPECT_EQ(property<uint32_t>(jobPath, kJob, "StartedByUID"), ::getuid());

    ASSERT_TRUE(waitSignal(jobPath, "Completed"));
    ASSERT_TRUE(waitSignal("/org/zenith/Provisioner", "JobRemoved"));
    const auto elapsed = std::chrono::steady_clock::now() - t0;

    auto completed = signalsOn(jobPath, "Completed");
    ASSERT_EQ(completed.size(), 1u);
    EXPECT_EQ(completed[0].strings, (std::vector<std::string>{"done", "", ""}));
    auto removed = signalsOn("/org/zenith/Provisioner", "JobRemoved");
    ASSERT_EQ(removed.size(), 1u);
    EXPECT_EQ(removed[0].strings, (std::vector<std::string>{jobPath, "done"}));
    EXPECT_EQ(signalsOn("/org/zenith/Provisioner", "JobNew").size(), 1u);
    EXPECT_EQ(signalsOn("/org/zenith/Provisioner", "MachineNew").size(), 1u);

    // 100 driver updates over ~300 ms: at most one signal per 100 ms, the
    // final one included, progress never decreasing, ending at Progress.
    auto progress = signalsOn(jobPath, "ProgressChanged");
    // One per 100 ms, plus one per step change, plus the final one.
    const auto maxSignals = size_t(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() / 100 + 5);
    EXPECT_GE(progress.size(), 2u);
    EXPECT_LE(progress.size(), maxSignals);
    std::vector<std::string> steps;
    for (const auto& p : progress)
        if (steps.empty() || steps.back() != p.strings[0])
            steps.push_back(p.strings[0]);
    EXPECT_EQ(steps, (std::vector<std::string>{"architecture", "fetch", "unpack", "done"}));
    for (size_t i = 1; i < progress.size(); ++i) {
        EXPECT_GE(progress[i].progress, progress[i - 1].progress);
        // Within a step the limit holds; a new step and the final state
        // (sent with Completed) go out at once.
        const bool sameStep = progress[i].strings[0] == progress[i - 1].strings[0];
        if (sameStep && i + 1 < progress.size()) {
            EXPECT_GE(progress[i].at - progress[i - 1].at, 80ms) << "signal " << i << " inside the rate limit";
        }
    }
    EXPECT_DOUBLE_EQ(progress.back().progress, property<double>(jobPath, kJob, "Progress"));
    EXPECT_EQ(property<std::string>(jobPath, kJob, "State"), "done");
    EXPECT_FALSE(property<bool>(jobPath, kJob, "Cancelable"));
    EXPECT_FALSE(signalsOn(jobPath, "PropertiesChanged").empty());

    // The machine object mirrors the engine's record.
    auto record = engine->machine("web1");
    ASSERT_TRUE(record);
    EXPECT_EQ(property<std::string>(machinePath, kMachine, "State"), std::string(core::toString(record->state)));
    EXPECT_EQ(property<std::vector<std::string>>(machinePath, kMachine, "Addresses"), record->addresses);
    // ...and said so on the bus: State creating -> running, and the facts
    // the driver found (Addresses) came with PropertiesChanged.
    bool sawRunning = false, sawAddresses = false;
    for (const auto& sig : signalsOn(machinePath, "PropertiesChanged")) {
        ASSERT_FALSE(sig.strings.empty());
        EXPECT_EQ(sig.strings[0], kMachine);
        for (const auto& item : sig.strings) {
            sawRunning = sawRunning || item == "State=running";
            sawAddresses = sawAddresses || item == "Addresses";
        }
    }
    EXPECT_TRUE(sawRunning);
    EXPECT_TRUE(sawAddresses);

    std::vector<sdbus::Struct<std::string, std::string, std::string, std::string, sdbus::ObjectPath>> list;
    manager->callMethod("ListMachines").onInterface(kManager).storeResultsTo(list);
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(std::get<0>(list[0]), "web1");
    EXPECT_EQ(std::get<4>(list[0]), machinePath);
    EXPECT_EQ(authorizer->asked.back().second.action, "read");

    // The finished job lingers (400 ms here, 30 s in the daemon), then leaves.
    EXPECT_TRUE(signalsOn(jobPath, "InterfacesRemoved").empty() &&
                signalsOn("/org/zenith/Provisioner", "InterfacesRemoved").empty());
    ASSERT_TRUE(waitSignal("/org/zenith/Provisioner", "InterfacesRemoved", 5s));
    auto gone = signalsOn("/org/zenith/Provisioner", "InterfacesRemoved");
    EXPECT_EQ(gone[0].strings, (std::vector<std::string>{jobPath}));
    EXPECT_EQ(errorOf([&] { property<std::string>(jobPath, kJob, "State"); }),
              "org.freedesktop.DBus.Error.UnknownObject");
}

TEST_F(DbusServiceTest, DryRunCompletesAtOnceWithThePlanAndCreatesNothing)
{
    auto [machinePath, jobPath] = create("web2", {}, 4);
    ASSERT_TRUE(waitSignal(jobPath, "Completed"));
    EXPECT_FALSE(engine->machine("web2"));
    EXPECT_NE(property<std::string>(jobPath, kJob, "Message").find("would create web2"), std::string::npos);
    auto progress = signalsOn(jobPath, "ProgressChanged");
    ASSERT_EQ(progress.size(), 1u) << "the final progress is always signalled";
    EXPECT_DOUBLE_EQ(progress[0].progress, 1.0);
}

TEST_F(DbusServiceTest, CancelEndsTheJobCancelled)
{
    driver->block = true;
    auto [machinePath, jobPath] = create("web3", {});
    EXPECT_TRUE(property<bool>(jobPath, kJob, "Cancelable"));
    uint32_t id = property<uint32_t>(jobPath, kJob, "Id");
    manager->callMethod("CancelJob").onInterface(kManager).withArguments(id);
    ASSERT_TRUE(waitSignal(jobPath, "Completed"));
    auto completed = signalsOn(jobPath, "Completed");
    ASSERT_EQ(completed[0].strings.size(), 3u);
    EXPECT_EQ(completed[0].strings[0], "cancelled");
    EXPECT_EQ(completed[0].strings[1], "org.zenith.Provisioner.Error.Cancelled");
    EXPECT_EQ(property<std::string>(jobPath, kJob, "ErrorName"), "org.zenith.Provisioner.Error.Cancelled");
    ASSERT_TRUE(waitSignal("/org/zenith/Provisioner", "MachineRemoved"));
    EXPECT_FALSE(engine->machine("web3"));
    // A finished job cannot be cancelled again.
    EXPECT_EQ(errorOf([&] { manager->callMethod("CancelJob").onInterface(kManager).withArguments(id); }),
              "org.zenith.Provisioner.Error.NotCancelable");
}

TEST_F(DbusServiceTest, JobCancelMethodOnTheJobObject)
{
    driver->block = true;
    auto [machinePath, jobPath] = create("web4", {});
    auto job = sdbus::createProxy(*clientConn, kService, jobPath);
    job->callMethod("Cancel").onInterface(kJob);
    ASSERT_TRUE(waitSignal(jobPath, "Completed"));
    EXPECT_EQ(signalsOn(jobPath, "Completed")[0].strings[0], "cancelled");
}

TEST_F(DbusServiceTest, NamedErrorsForWhatDoesNotExist)
{
    EXPECT_EQ(errorOf([&] { manager->callMethod("CancelJob").onInterface(kManager).withArguments(uint32_t(77)); }),
              "org.zenith.Provisioner.Error.NoSuchJob");
    EXPECT_EQ(errorOf([&] {
                  sdbus::ObjectPath p;
                  manager->callMethod("GetMachine").onInterface(kManager).withArguments(std::string("nope")).storeResultsTo(p);
              }),
              "org.zenith.Provisioner.Error.NoSuchMachine");
    EXPECT_EQ(errorOf([&] {
                  sdbus::ObjectPath p;
                  manager->callMethod("DestroyMachine")
                      .onInterface(kManager)
                      .withArguments(std::string("nope"), uint64_t(0))
                      .storeResultsTo(p);
              }),
              "org.zenith.Provisioner.Error.NoSuchMachine");
}

TEST_F(DbusServiceTest, ListImagesAnswersFromTheDriver)
{
    std::vector<sdbus::Struct<std::string, std::string, std::string, uint64_t>> images;
    manager->callMethod("ListImages").onInterface(kManager).withArguments(std::string("nspawn")).storeResultsTo(images);
    ASSERT_EQ(images.size(), 1u);
    EXPECT_EQ(std::get<0>(images[0]), "debian-bookworm-amd64");
    EXPECT_EQ(std::get<3>(images[0]), 1234u);
    EXPECT_EQ(errorOf([&] {
                  manager->callMethod("ListImages").onInterface(kManager).withArguments(std::string("xen")).storeResultsTo(images);
              }),
              "org.freedesktop.DBus.Error.InvalidArgs");
}
