// PolkitAuthorizer against a fake polkit authority on a private bus: an
// interactive check that polkit answers "yes" only after the caller left
// the bus does not authorize anything; one whose caller is still there does.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include <sdbus-c++/sdbus-c++.h>

#include "dbus/event_loop.h"
#include "dbus/polkit_authorizer.h"
#include "private_bus.h"

using namespace zenith;
using namespace std::chrono_literals;

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
        if (!cv_.wait_for(lock, 5s, [&] { return pending_.has_value(); }))
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

class PolkitCallerLeft : public ::testing::Test {
protected:
    zenith::testing::PrivateBus bus;
    FakeAuthority authority{bus.address()};
    std::unique_ptr<sdbus::IConnection> daemonConn = sdbus::createSessionBusConnectionWithAddress(bus.address());
    std::unique_ptr<dbus::EventLoop> loop;
    std::unique_ptr<dbus::PolkitAuthorizer> authorizer;
    std::thread loopThread;

    std::mutex mu;
    std::condition_variable cv;
    std::optional<core::Result<void>> answer;

    void SetUp() override
    {
        loop = std::move(*dbus::EventLoop::create());
        ASSERT_TRUE(loop->attach(*daemonConn));
        authorizer = std::make_unique<dbus::PolkitAuthorizer>(*daemonConn);
        loopThread = std::thread([this] { loop->run(); });
    }
    void TearDown() override
    {
        loop->post([this] { loop->exit(0); });
        loopThread.join();
        authorizer.reset();
        loop.reset();
        daemonConn.reset();
    }

    void check(const std::string& sender)
    {
        dbus::CallerInfo caller{sender, 1000, true};
        loop->post([this, caller] {
            authorizer->check(caller, {"create", "create", "web1", "nspawn", "", ""}, [this](core::Result<void> r) {
                std::lock_guard lock(mu);
                answer.emplace(std::move(r));
                cv.notify_all();
            });
        });
    }
    std::optional<core::Result<void>> waitAnswer()
    {
        std::unique_lock lock(mu);
        cv.wait_for(lock, 10s, [&] { return answer.has_value(); });
        return answer;
    }
    bool onBus(const std::string& name)
    {
        auto c = sdbus::createSessionBusConnectionWithAddress(bus.address());
        auto proxy = sdbus::createProxy(*c, "org.freedesktop.DBus", "/org/freedesktop/DBus");
        bool owned = true;
        proxy->callMethod("NameHasOwner").onInterface("org.freedesktop.DBus").withArguments(name).storeResultsTo(owned);
        return owned;
    }
};

TEST_F(PolkitCallerLeft, YesForACallerThatLeftAuthorizesNothing)
{
    auto caller = sdbus::createSessionBusConnectionWithAddress(bus.address());
    const std::string sender = caller->getUniqueName();
    check(sender);
    auto flags = authority.waitForCheck();
    ASSERT_TRUE(flags);
    EXPECT_EQ(*flags, dbus::kPolkitAllowUserInteraction);

    caller.reset();  // its call timed out; it went away
    for (int i = 0; i < 100 && onBus(sender); ++i)
        std::this_thread::sleep_for(20ms);
    ASSERT_FALSE(onBus(sender));
    authority.answerYes();

    auto r = waitAnswer();
    ASSERT_TRUE(r);
    ASSERT_FALSE(*r);
    EXPECT_EQ(r->error().code, core::ErrorCode::Cancelled);
    EXPECT_NE(r->error().message.find("left the bus"), std::string::npos) << r->error().message;
}

TEST_F(PolkitCallerLeft, YesForACallerStillThereAuthorizes)
{
    auto caller = sdbus::createSessionBusConnectionWithAddress(bus.address());
    check(caller->getUniqueName());
    ASSERT_TRUE(authority.waitForCheck());
    authority.answerYes();
    auto r = waitAnswer();
    ASSERT_TRUE(r);
    EXPECT_TRUE(*r) << r->error().message;
}

}  // namespace
