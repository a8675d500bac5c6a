// PolkitAuthorizer against a fake polkit authority on a private bus: an
// interactive check that polkit answers "yes" only after the caller left
// the bus authorizes nothing - at the authorizer, and through the request
// gate in front of the real engine: no job, no machine, no driver call, and
// an audit entry that says why. One whose caller is still there does.
#include <gtest/gtest.h>

#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include <sdbus-c++/sdbus-c++.h>

#include "core/engine.h"
#include "core/registry.h"
#include "bus_loop/event_loop.h"
#include "dbus/polkit_authorizer.h"
#include "dbus/request_gate.h"
#include "fake_driver.h"
#include "loop_thread.h"
#include "private_bus.h"

using namespace zenith;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

using AuthResult = sdbus::Struct<bool, bool, std::map<std::string, std::string>>;
using Subject = sdbus::Struct<std::string, std::map<std::string, sdbus::Variant>>;

// Holds every CheckAuthorization until the test answers it, as polkit does
// while a human types a password.
class FakeAuthority {
public:
    explicit FakeAuthority(const std::string& address)
        : conn_(sdbus::createSessionBusConnectionWithAddress(address))
    {
        conn_->requestName("org.freedesktop.PolicyKit1");
        object_ = sdbus::createObject(*conn_, "/org/freedesktop/PolicyKit1/Authority");
        object_->registerMethod("CheckAuthorization")
            .onInterface("org.freedesktop.PolicyKit1.Authority")
            .implementedAs([this](sdbus::Result<AuthResult>&& result, const Subject&, const std::string&,
                                  const std::map<std::string, std::string>&, uint32_t flags, const std::string&) {
                std::lock_guard lock(mu_);
                pending_.emplace(std::move(result));
                flags_ = flags;
                cv_.notify_all();
            });
        object_->finishRegistration();
        conn_->enterEventLoopAsync();
    }
    ~FakeAuthority() { conn_->leaveEventLoop(); }

    // The flags of the pending check, once one arrived.
    std::optional<uint32_t> waitForCheck()
    {
        std::unique_lock lock(mu_);
        if (!cv_.wait_for(lock, 60s, [&] { return pending_.has_value(); }))
            return std::nullopt;
        return flags_;
    }
    void answerYes()
    {
        std::lock_guard lock(mu_);
        pending_->returnResults(AuthResult{true, false, {}});
        pending_.reset();
    }

private:
    std::unique_ptr<sdbus::IConnection> conn_;
    std::unique_ptr<sdbus::IObject> object_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::optional<sdbus::Result<AuthResult>> pending_;
    uint32_t flags_ = 0;
};

// Waits for one answer that arrives on the loop thread.
template <typename T>
class Answer {
public:
    void set(T value)
    {
        std::lock_guard lock(mu_);
        value_.emplace(std::move(value));
        cv_.notify_all();
    }
    std::optional<T> wait()
    {
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, 60s, [&] { return value_.has_value(); });
        return value_;
    }

private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::optional<T> value_;
};

class PolkitCallerLeft : public ::testing::Test {
protected:
    zenith::testing::PrivateBus bus;
    FakeAuthority authority{bus.address()};
    std::unique_ptr<sdbus::IConnection> daemonConn = sdbus::createSessionBusConnectionWithAddress(bus.address());
    std::unique_ptr<busloop::EventLoop> loop;
    std::unique_ptr<dbus::PolkitAuthorizer> authorizer;
    fs::path dir;
    std::unique_ptr<core::Registry> registry;
    testsupport::FakeDriver* driver = nullptr;  // owned by the engine
    std::unique_ptr<core::Engine> engine;
    std::unique_ptr<dbus::RequestGate> gate;
    std::unique_ptr<unittest::LoopThread> loopThread;

    void SetUp() override
    {
        loop = std::move(*busloop::EventLoop::create());
        ASSERT_TRUE(loop->attach(*daemonConn));
        authorizer = std::make_unique<dbus::PolkitAuthorizer>(*daemonConn);
        dir = fs::temp_directory_path() / ("zenith-caller-left-test-" + std::to_string(::getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir);
        auto reg = core::Registry::open((dir / "zenith.db").string());
        ASSERT_TRUE(reg) << reg.error().message;
        registry = std::move(*reg);
        auto d = std::make_unique<testsupport::FakeDriver>();
        driver = d.get();
        std::vector<std::unique_ptr<drivers::Driver>> drivers;
        drivers.push_back(std::move(d));
        engine = std::make_unique<core::Engine>(core::Config{}, *registry, std::move(drivers));
        ASSERT_TRUE(engine->recover());
        gate = std::make_unique<dbus::RequestGate>(*engine, *authorizer, nullptr);
        loopThread = std::make_unique<unittest::LoopThread>(*loop);
    }
    void TearDown() override
    {
        loopThread.reset();
        gate.reset();
        engine.reset();
        registry.reset();
        authorizer.reset();
        loop.reset();
        daemonConn.reset();
        fs::remove_all(dir);
    }

    // An interactive check by `sender` (uid 1000), straight at the authorizer.
    void check(const std::string& sender, Answer<core::Result<void>>& answer)
    {
        dbus::CallerInfo caller{sender, 1000, true};
        loop->post([this, caller, &answer] {
            authorizer->check(caller, {"create", "create", "web1", "nspawn", "", ""},
                              [&answer](core::Result<void> r) { answer.set(std::move(r)); });
        });
    }
    // CreateMachine("web1") by `sender` (uid 1000, interaction allowed),
    // through the gate every bus request takes.
    void submitCreate(const std::string& sender, Answer<core::Result<core::Submitted>>& answer)
    {
        dbus::CallerInfo caller{sender, 1000, true};
        loop->post([this, caller, &answer] {
            gate->submitChange(caller, engine->prepareCreate("web1", "nspawn", {}, 0), {"create", "web1", "nspawn"},
                               [&answer](core::Result<core::Submitted> r) { answer.set(std::move(r)); });
        });
    }
    bool onBus(const std::string& name)
    {
        auto c = sdbus::createSessionBusConnectionWithAddress(bus.address());
        auto proxy = sdbus::createProxy(*c, "org.freedesktop.DBus", "/org/freedesktop/DBus");
        bool owned = true;
        proxy->callMethod("NameHasOwner").onInterface("org.freedesktop.DBus").withArguments(name).storeResultsTo(owned);
        return owned;
    }
    // The caller's call timed out and it went away: until the bus says so
    // (a bound for a hang, not a speed goal).
    void leave(std::unique_ptr<sdbus::IConnection>& caller)
    {
        const std::string sender = caller->getUniqueName();
        caller.reset();
        for (int i = 0; i < 3000 && onBus(sender); ++i)
            std::this_thread::sleep_for(10ms);
        ASSERT_FALSE(onBus(sender));
    }
};

TEST_F(PolkitCallerLeft, YesForACallerThatLeftAuthorizesNothing)
{
    auto caller = sdbus::createSessionBusConnectionWithAddress(bus.address());
    Answer<core::Result<void>> answer;
    check(caller->getUniqueName(), answer);
    auto flags = authority.waitForCheck();
    ASSERT_TRUE(flags);
    EXPECT_EQ(*flags, dbus::kPolkitAllowUserInteraction);

    leave(caller);
    authority.answerYes();

    auto r = answer.wait();
    ASSERT_TRUE(r);
    ASSERT_FALSE(*r);
    EXPECT_EQ(r->error().code, core::ErrorCode::Cancelled);
    EXPECT_NE(r->error().message.find("left the bus"), std::string::npos) << r->error().message;
}

TEST_F(PolkitCallerLeft, YesForACallerStillThereAuthorizes)
{
    auto caller = sdbus::createSessionBusConnectionWithAddress(bus.address());
    Answer<core::Result<void>> answer;
    check(caller->getUniqueName(), answer);
    ASSERT_TRUE(authority.waitForCheck());
    authority.answerYes();
    auto r = answer.wait();
    ASSERT_TRUE(r);
    EXPECT_TRUE(*r) << r->error().message;
}

TEST_F(PolkitCallerLeft, YesForACallerThatLeftStartsNoJobAndIsAuditedAsCancelled)
{
    auto caller = sdbus::createSessionBusConnectionWithAddress(bus.address());
    Answer<core::Result<core::Submitted>> answer;
    submitCreate(caller->getUniqueName(), answer);
    ASSERT_TRUE(authority.waitForCheck());
    leave(caller);
    authority.answerYes();

    auto r = answer.wait();
    ASSERT_TRUE(r);
    ASSERT_FALSE(*r) << "a job was submitted for a caller that had left";
    EXPECT_EQ(r->error().code, core::ErrorCode::Cancelled);
    EXPECT_TRUE(engine->jobs().empty());
    EXPECT_TRUE(engine->machines().empty());
    EXPECT_EQ(driver->calls(testsupport::FakeOp::Create), 0);
    EXPECT_TRUE(registry->jobs()->empty());
    EXPECT_TRUE(registry->machines()->empty());
    auto audit = registry->auditEntries();
    ASSERT_TRUE(audit);
    ASSERT_EQ(audit->size(), 1u);
    const auto& entry = audit->front();
    EXPECT_EQ(entry.outcome, "denied");
    EXPECT_EQ(entry.uid, 1000u);
    EXPECT_EQ(entry.verb, "create");
    EXPECT_EQ(entry.machine, "web1");
    EXPECT_EQ(entry.job, 0u);
    EXPECT_TRUE(entry.detail.starts_with("Cancelled: ")) << entry.detail;
}

TEST_F(PolkitCallerLeft, YesForACallerStillThereStartsTheJob)
{
    auto caller = sdbus::createSessionBusConnectionWithAddress(bus.address());
    Answer<core::Result<core::Submitted>> answer;
    submitCreate(caller->getUniqueName(), answer);
    ASSERT_TRUE(authority.waitForCheck());
    authority.answerYes();
    auto r = answer.wait();
    ASSERT_TRUE(r);
    ASSERT_TRUE(*r) << r->error().message;
    EXPECT_TRUE(engine->machine("web1"));
    auto audit = registry->auditEntries();
    ASSERT_TRUE(audit);
    ASSERT_FALSE(audit->empty());
    EXPECT_EQ(audit->front().outcome, "submitted");
}

}  // namespace
