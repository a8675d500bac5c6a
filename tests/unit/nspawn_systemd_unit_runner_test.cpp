// The systemd runner against a fake org.freedesktop.systemd1 on a private
// bus: limits set before StartUnit, the unit's job followed to its end
// (JobRemoved before or after the reply), failures and cancel, stop, a unit
// that dies on its own, and answers with no other event loop running (the
// daemon's start-up recovery asks before its own loop runs).
#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include <sdbus-c++/sdbus-c++.h>

#include "core/names.h"
#include "drivers/nspawn/systemd_unit_runner.h"
#include "private_bus.h"

using namespace zenith;
using namespace std::chrono_literals;

namespace {

constexpr const char* kManager = "org.freedesktop.systemd1.Manager";
using Property = sdbus::Struct<std::string, sdbus::Variant>;
using UnitRow = sdbus::Struct<std::string, std::string, std::string, std::string, std::string, std::string,
                              sdbus::ObjectPath, uint32_t, std::string, sdbus::ObjectPath>;

// Just enough of systemd's manager: units are "active" after a StartUnit
// job and "inactive" after StopUnit; every call is recorded in order.
class FakeSystemd {
public:
    enum class JobEnd { AfterReply, BeforeReply, Failed, Never };
    std::atomic<JobEnd> jobEnd{JobEnd::AfterReply};

    explicit FakeSystemd(const std::string& address) : conn_(sdbus::createSessionBusConnectionWithAddress(address))
    {
        conn_->requestName("org.freedesktop.systemd1");
        manager_ = sdbus::createObject(*conn_, "/org/freedesktop/systemd1");
        manager_->registerMethod("Subscribe").onInterface(kManager).implementedAs([this] { record("Subscribe"); });
        manager_->registerMethod("SetUnitProperties")
            .onInterface(kManager)
            .implementedAs([this](const std::string& unit, bool runtime, const std::vector<Property>& properties) {
                std::string text = "SetUnitProperties " + unit + (runtime ? " runtime" : " persistent");
                for (const auto& p : properties)
                    text += " " + std::get<0>(p) + "=" + std::to_string(std::get<1>(p).get<uint64_t>());
                record(text);
            });
        manager_->registerMethod("StartUnit")
            .onInterface(kManager)
            .implementedAs([this](const std::string& unit, const std::string& mode) {
                return unitJob("StartUnit", unit, mode, "active");
            });
        manager_->registerMethod("StopUnit")
            .onInterface(kManager)
            .implementedAs([this](const std::string& unit, const std::string& mode) {
                return unitJob("StopUnit", unit, mode, "inactive");
            });
        manager_->registerMethod("KillUnit")
            .onInterface(kManager)
            .implementedAs([this](const std::string& unit, const std::string& whom, int32_t signal) {
                record("KillUnit " + unit + " " + whom + " " + std::to_string(signal));
            });
        manager_->registerMethod("ListUnitsByNames")
            .onInterface(kManager)
            .implementedAs([this](const std::vector<std::string>& names) {
                std::vector<UnitRow> rows;
                std::lock_guard lock(mu_);
                for (const auto& n : names) {
                    auto it = states_.find(n);
                    rows.push_back(UnitRow{n, "", "loaded", it == states_.end() ? "inactive" : it->second, "", "",
                                           sdbus::ObjectPath(unitPath(n)), 0u, "", sdbus::ObjectPath("/")});
                }
                return rows;
            });
        manager_->registerSignal("JobRemoved").onInterface(kManager).withParameters<uint32_t, sdbus::ObjectPath,
                                                                                   std::string, std::string>();
        manager_->finishRegistration();
        conn_->enterEventLoopAsync();
    }
    ~FakeSystemd()
    {
        for (auto& t : later_)
            t.join();
        conn_->leaveEventLoop();
    }

    std::vector<std::string> calls()
    {
        std::lock_guard lock(mu_);
        return calls_;
    }
    bool waitForCall(const std::string& prefix)
    {
        std::unique_lock lock(mu_);
        return cv_.wait_for(lock, 5s, [&] {
            for (const auto& c : calls_)
                if (c.starts_with(prefix))
                    return true;
            return false;
        });
    }

    // A unit that was already running (left by an earlier daemon).
    void setState(const std::string& unit, const std::string& state)
    {
        std::lock_guard lock(mu_);
        states_[unit] = state;
    }

    // The unit's process died: systemd reports ActiveState=failed.
    void unitDied(const std::string& unit)
    {
        {
            std::lock_guard lock(mu_);
            states_[unit] = "failed";
        }
        auto object = sdbus::createObject(*conn_, unitPath(unit));
        auto signal = object->createSignal("org.freedesktop.DBus.Properties", "PropertiesChanged");
        signal << std::string("org.freedesktop.systemd1.Unit")
               << std::map<std::string, sdbus::Variant>{{"ActiveState", sdbus::Variant(std::string("failed"))}}
               << std::vector<std::string>{};
        object->emitSignal(signal);
    }

private:
    static std::string unitPath(const std::string& unit)
    {
        return "/org/freedesktop/systemd1/unit/" + core::busLabelEscape(unit);
    }

    void record(std::string call)
    {
        std::lock_guard lock(mu_);
        calls_.push_back(std::move(call));
        cv_.notify_all();
    }

    sdbus::ObjectPath unitJob(const std::string& method, const std::string& unit, const std::string& mode,
                              const std::string& endState)
    {
        record(method + " " + unit + " " + mode);
        const uint32_t id = ++lastJob_;
        sdbus::ObjectPath job("/org/freedesktop/systemd1/job/" + std::to_string(id));
        auto end = jobEnd.load();
        if (end == JobEnd::Never)
            return job;
        const std::string result = end == JobEnd::Failed ? "failed" : "done";
        auto finish = [this, id, job, unit, result, endState] {
            if (result == "done") {
                std::lock_guard lock(mu_);
                states_[unit] = endState;
            }
            manager_->emitSignal("JobRemoved").onInterface(kManager).withArguments(id, job, unit, result);
        };
        if (end == JobEnd::BeforeReply)
            finish();  // systemd can finish a job before its reply leaves
        else
            later_.emplace_back([finish] {
                std::this_thread::sleep_for(20ms);
                finish();
            });
        return job;
    }

    std::unique_ptr<sdbus::IConnection> conn_;
    std::unique_ptr<sdbus::IObject> manager_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<std::string> calls_;
    std::map<std::string, std::string> states_;
    std::atomic<uint32_t> lastJob_{0};
    std::vector<std::thread> later_;
};

class SystemdUnitRunnerTest : public ::testing::Test {
protected:
    zenith::testing::PrivateBus bus;
    FakeSystemd systemd{bus.address()};
    std::shared_ptr<drivers::nspawn::SystemdUnitRunner> runner;

    void SetUp() override
    {
        auto made = drivers::nspawn::SystemdUnitRunner::create(sdbus::createSessionBusConnectionWithAddress(bus.address()));
        ASSERT_TRUE(made) << made.error().message;
        runner = *made;
        ASSERT_TRUE(systemd.waitForCall("Subscribe"));
    }
    void TearDown() override { runner.reset(); }

    static drivers::nspawn::RunTarget target(uint32_t cpu = 0, uint64_t memory = 0)
    {
        return {"web1", "/var/lib/machines/web1", "/etc/systemd/nspawn/web1.nspawn", cpu, memory};
    }
};

TEST_F(SystemdUnitRunnerTest, StartSetsTheLimitsThenStartsTheTemplateUnit)
{
    auto r = runner->start(target(150, 1ull << 30), {}, 10s);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(systemd.calls(), (std::vector<std::string>{
                                   "Subscribe",
                                   "SetUnitProperties systemd-nspawn@web1.service runtime "
                                   "CPUQuotaPerSecUSec=1500000 MemoryMax=1073741824",
                                   "StartUnit systemd-nspawn@web1.service replace"}));
    EXPECT_TRUE(runner->isRunning(target()));
}

TEST_F(SystemdUnitRunnerTest, NoLimitIsInfinityNotTheLastStartsLimit)
{
    ASSERT_TRUE(runner->start(target(), {}, 10s));
    EXPECT_EQ(systemd.calls().at(1), "SetUnitProperties systemd-nspawn@web1.service runtime CPUQuotaPerSecUSec=" +
                                         std::to_string(UINT64_MAX) + " MemoryMax=" + std::to_string(UINT64_MAX));
}

TEST_F(SystemdUnitRunnerTest, JobThatEndsBeforeItsReplyIsNotMissed)
{
    systemd.jobEnd = FakeSystemd::JobEnd::BeforeReply;
    auto r = runner->start(target(), {}, 10s);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(runner->isRunning(target()));
}

TEST_F(SystemdUnitRunnerTest, FailedJobIsBackendFailedNamingTheUnit)
{
    systemd.jobEnd = FakeSystemd::JobEnd::Failed;
    auto r = runner->start(target(), {}, 10s);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, core::ErrorCode::BackendFailed);
    EXPECT_NE(r.error().message.find("systemd-nspawn@web1.service"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("failed"), std::string::npos) << r.error().message;
    EXPECT_FALSE(runner->isRunning(target()));
}

TEST_F(SystemdUnitRunnerTest, CancelledStartStopsTheUnit)
{
    systemd.jobEnd = FakeSystemd::JobEnd::Never;
    std::stop_source cancel;
    std::thread canceller([&] {
        systemd.waitForCall("StartUnit");
        systemd.jobEnd = FakeSystemd::JobEnd::AfterReply;
        cancel.request_stop();
    });
    auto r = runner->start(target(), cancel.get_token(), 10s);
    canceller.join();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, core::ErrorCode::Cancelled);
    EXPECT_EQ(systemd.calls().back(), "StopUnit systemd-nspawn@web1.service replace");
}

TEST_F(SystemdUnitRunnerTest, StopEndsTheUnit)
{
    ASSERT_TRUE(runner->start(target(), {}, 10s));
    auto r = runner->stop(target(), 10s);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(systemd.calls().back(), "StopUnit systemd-nspawn@web1.service replace");
    EXPECT_FALSE(runner->isRunning(target()));
}

// A machine whose disk goes next is killed, then its unit stopped.
TEST_F(SystemdUnitRunnerTest, KillSendsSigkillToTheWholeUnitThenStopsIt)
{
    ASSERT_TRUE(runner->start(target(), {}, 10s));
    auto r = runner->kill(target());
    ASSERT_TRUE(r) << r.error().message;
    auto calls = systemd.calls();
    ASSERT_GE(calls.size(), 2u);
    EXPECT_EQ(calls[calls.size() - 2], "KillUnit systemd-nspawn@web1.service all 9");
    EXPECT_EQ(calls.back(), "StopUnit systemd-nspawn@web1.service replace");
    EXPECT_FALSE(runner->isRunning(target()));
}

TEST_F(SystemdUnitRunnerTest, UnitThatDiesOnItsOwnIsReported)
{
    std::mutex mu;
    std::condition_variable cv;
    std::string stopped;
    runner->setExitListener([&](const std::string& name) {
        std::lock_guard lock(mu);
        stopped = name;
        cv.notify_all();
    });
    ASSERT_TRUE(runner->start(target(), {}, 10s));
    systemd.unitDied("systemd-nspawn@web1.service");
    std::unique_lock lock(mu);
    EXPECT_TRUE(cv.wait_for(lock, 5s, [&] { return !stopped.empty(); }));
    EXPECT_EQ(stopped, "web1");
}

TEST_F(SystemdUnitRunnerTest, AnswersTheTruthBeforeAnyOtherLoopRuns)
{
    // Start-up recovery probes every machine before the daemon's own loop
    // runs (nothing else drives a bus here either): a running machine must
    // come back as running, not as "no answer in time" = stopped.
    systemd.setState("systemd-nspawn@web1.service", "active");
    EXPECT_TRUE(runner->isRunning(target()));
    EXPECT_FALSE(runner->isRunning({"web2", "/var/lib/machines/web2", "", 0, 0}));
}

}  // namespace
