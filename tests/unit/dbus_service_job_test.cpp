// Jobs on the bus: the signals a create sends (their content, order and
// counts per step; the rate limit's timing itself is the coalescer's unit
// test, on a fake clock), the finished job's linger, cancel, and Cancelable
// turning false at the point of no return.
#include <gtest/gtest.h>

#include <unistd.h>

#include "dbus_service_fixture.h"

namespace zenith::unittest {
namespace {

using testsupport::FakeOp;
using namespace std::chrono_literals;

constexpr const char* kCancelled = "org.zenith.Provisioner.Error.Cancelled";
constexpr const char* kNotCancelable = "org.zenith.Provisioner.Error.NotCancelable";

// 100 reports in three steps, as fast as the driver can make them: one for
// "architecture", 49 for "fetch", 50 for "unpack".
std::vector<testsupport::ProgressReport> burstOfReports()
{
    std::vector<testsupport::ProgressReport> out;
    for (int i = 1; i <= 100; ++i)
        out.push_back({i / 100.0, i == 1 ? "architecture" : i <= 50 ? "fetch" : "unpack", "update " + std::to_string(i)});
    return out;
}

TEST_F(DbusServiceTest, CreateSignalsEveryStepRateLimitedAndEndsWithTheFinalState)
{
    driver->createProgress = burstOfReports();
    auto [machinePath, jobPath] = create("web1", {{"release", sdbus::Variant(std::string("bookworm"))}});
    EXPECT_EQ(machinePath, "/org/zenith/Provisioner/machine/web1");
    EXPECT_EQ(jobPath, "/org/zenith/Provisioner/job/1");
    // The objects exist when the reply arrives.
    EXPECT_EQ(property<std::string>(jobPath, kJob, "Operation"), "create");
    EXPECT_EQ(property<std::string>(machinePath, kMachine, "Name"), "web1");
    EXPECT_EQ(property<uint32_t>(jobPath, kJob, "StartedByUID"), ::getuid());
    ASSERT_TRUE(waitSignal(kRoot, "JobRemoved"));

    auto completed = signalsOn(jobPath, "Completed");
    ASSERT_EQ(completed.size(), 1u);
    EXPECT_EQ(completed[0].strings, (std::vector<std::string>{"done", "", ""}));
    auto removed = signalsOn(kRoot, "JobRemoved");
    ASSERT_EQ(removed.size(), 1u);
    EXPECT_EQ(removed[0].strings, (std::vector<std::string>{jobPath, "done"}));
    EXPECT_EQ(signalsOn(kRoot, "JobNew").size(), 1u);
    EXPECT_EQ(signalsOn(kRoot, "MachineNew").size(), 1u);

    // What the progress signals said, per step.
    auto progress = signalsOn(jobPath, "ProgressChanged");
    std::vector<std::string> steps;
    std::map<std::string, std::vector<SeenSignal>> byStep;
    for (const auto& p : progress) {
        if (steps.empty() || steps.back() != p.strings[0])
            steps.push_back(p.strings[0]);
        byStep[p.strings[0]].push_back(p);
    }
    // Every step reached clients, in order, each as one run.
    ASSERT_EQ(steps, (std::vector<std::string>{"architecture", "fetch", "unpack", "done"}));
    ASSERT_EQ(byStep.size(), steps.size()) << "a step came back after the next one";
    // A new step goes out at once, with the report that began it.
    EXPECT_EQ(byStep["architecture"].front().strings[1], "update 1");
    EXPECT_EQ(byStep["fetch"].front().strings[1], "update 2");
    EXPECT_EQ(byStep["unpack"].front().strings[1], "update 51");
    // Within a step the limit holds back what the driver reported at once
    // (without it, every report would be a signal).
    EXPECT_EQ(byStep["architecture"].size(), 1u);
    EXPECT_LT(byStep["fetch"].size(), 49u);
    EXPECT_LT(byStep["unpack"].size(), 50u);
    // The final state always goes out: once, last, before Completed.
    ASSERT_EQ(byStep["done"].size(), 1u);
    EXPECT_DOUBLE_EQ(progress.back().progress, 1.0);
    EXPECT_EQ(progress.back().strings[0], "done");
    for (size_t i = 1; i < progress.size(); ++i)
        EXPECT_GE(progress[i].progress, progress[i - 1].progress) << "signal " << i;
    const int lastProgress = [&] {
        auto all = seen();
        int last = -1;
        for (size_t i = 0; i < all.size(); ++i)
            if (all[i].path == jobPath && all[i].member == "ProgressChanged")
                last = static_cast<int>(i);
        return last;
    }();
    EXPECT_LT(lastProgress, indexOf(jobPath, "Completed"));
    EXPECT_LT(indexOf(jobPath, "Completed"), indexOf(kRoot, "JobRemoved"));

    // The finished job stays readable, and says what the signals said.
    EXPECT_DOUBLE_EQ(property<double>(jobPath, kJob, "Progress"), 1.0);
    EXPECT_EQ(property<std::string>(jobPath, kJob, "State"), "done");
    EXPECT_FALSE(property<bool>(jobPath, kJob, "Cancelable"));
    EXPECT_GE(indexOf(jobPath, "PropertiesChanged", "State=done"), 0);

    // The machine object mirrors the engine's record...
    auto record = engine->machine("web1");
    ASSERT_TRUE(record);
    EXPECT_EQ(property<std::string>(machinePath, kMachine, "State"), std::string(core::toString(record->state)));
    EXPECT_EQ(property<std::vector<std::string>>(machinePath, kMachine, "Addresses"), record->addresses);
    // ...and said so on the bus: State creating -> running, and the facts
    // the driver found (Addresses) came with PropertiesChanged.
    EXPECT_GE(indexOf(machinePath, "PropertiesChanged", "State=running"), 0);
    EXPECT_GE(indexOf(machinePath, "PropertiesChanged", "Addresses"), 0);

    std::vector<sdbus::Struct<std::string, std::string, std::string, std::string, sdbus::ObjectPath>> list;
    manager->callMethod("ListMachines").onInterface(kManager).storeResultsTo(list);
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(std::get<0>(list[0]), "web1");
    EXPECT_EQ(std::get<4>(list[0]), machinePath);
    EXPECT_EQ(authorizer->asked().back().second.action, "read");
}

// A finished job leaves the bus after its linger (30 s in the daemon; short
// here), announced by InterfacesRemoved after its Completed.
class DbusServiceLingerTest : public DbusServiceTest {
protected:
    DbusServiceLingerTest() { linger = 20ms; }
};

TEST_F(DbusServiceLingerTest, FinishedJobLeavesTheBusAfterItsLinger)
{
    EXPECT_GE(dbus::kFinishedJobLinger, 30s) << "the contract: a finished job stays at least 30 s";
    auto [machinePath, jobPath] = create("web2", {}, 4);
    ASSERT_TRUE(waitSignal(kRoot, "InterfacesRemoved", jobPath));
    EXPECT_LT(indexOf(jobPath, "Completed"), indexOf(kRoot, "InterfacesRemoved", jobPath));
    EXPECT_EQ(errorOf([&] { property<std::string>(jobPath, kJob, "State"); }),
              "org.freedesktop.DBus.Error.UnknownObject");
    // Still listed with its result: ListJobs keeps finished jobs.
    std::vector<sdbus::Struct<uint32_t, std::string, std::string, std::string, double, sdbus::ObjectPath>> jobs;
    manager->callMethod("ListJobs").onInterface(kManager).storeResultsTo(jobs);
    ASSERT_EQ(jobs.size(), 1u);
    EXPECT_EQ(std::get<3>(jobs[0]), "done");
}

TEST_F(DbusServiceTest, CancelJobEndsTheJobCancelledAndLeavesNothing)
{
    driver->hold(FakeOp::Create);
    auto [machinePath, jobPath] = create("web3", {});
    ASSERT_TRUE(driver->waitReachedHold(FakeOp::Create));
    EXPECT_TRUE(property<bool>(jobPath, kJob, "Cancelable"));
    uint32_t id = property<uint32_t>(jobPath, kJob, "Id");
    cancelJob(id);
    ASSERT_TRUE(waitSignal(jobPath, "Completed"));
    auto completed = signalsOn(jobPath, "Completed");
    ASSERT_EQ(completed[0].strings.size(), 3u);
    EXPECT_EQ(completed[0].strings[0], "cancelled");
    EXPECT_EQ(completed[0].strings[1], kCancelled);
    EXPECT_EQ(property<std::string>(jobPath, kJob, "ErrorName"), kCancelled);
    ASSERT_TRUE(waitSignal(kRoot, "MachineRemoved"));
    EXPECT_FALSE(engine->machine("web3"));
    EXPECT_FALSE(driver->exists("web3"));
    // A finished job cannot be cancelled again.
    EXPECT_EQ(errorOf([&] { cancelJob(id); }), kNotCancelable);
}

TEST_F(DbusServiceTest, JobCancelMethodOnTheJobObject)
{
    driver->hold(FakeOp::Create);
    auto [machinePath, jobPath] = create("web4", {});
    ASSERT_TRUE(driver->waitReachedHold(FakeOp::Create));
    sdbus::createProxy(*clientConn, kService, jobPath)->callMethod("Cancel").onInterface(kJob);
    ASSERT_TRUE(waitSignal(jobPath, "Completed"));
    EXPECT_EQ(signalsOn(jobPath, "Completed")[0].strings[0], "cancelled");
}

// The contract: Cancelable turns false when destroy has started deleting;
// from then on CancelJob and Job.Cancel are NotCancelable and the job ends
// as it would have.
TEST_F(DbusServiceTest, CancelPastThePointOfNoReturnIsNotCancelable)
{
    auto [machinePath, createPath] = create("old", {}, 2);
    ASSERT_TRUE(waitSignal(createPath, "Completed"));
    driver->hold(FakeOp::Destroy);  // parks after setCancelable(false)
    const std::string jobPath = destroy("old");
    ASSERT_TRUE(driver->waitReachedHold(FakeOp::Destroy));
    ASSERT_TRUE(waitSignal(jobPath, "PropertiesChanged", "Cancelable=false"));
    EXPECT_FALSE(property<bool>(jobPath, kJob, "Cancelable"));
    EXPECT_EQ(property<std::string>(jobPath, kJob, "State"), "running");

    const uint32_t id = property<uint32_t>(jobPath, kJob, "Id");
    EXPECT_EQ(errorOf([&] { cancelJob(id); }), kNotCancelable);
    EXPECT_EQ(errorOf([&] { sdbus::createProxy(*clientConn, kService, jobPath)->callMethod("Cancel").onInterface(kJob); }),
              kNotCancelable);
    auto a = audit();
    ASSERT_FALSE(a.empty());
    EXPECT_EQ(a.back().outcome, "refused");
    EXPECT_EQ(a.back().verb, "cancel");
    EXPECT_TRUE(a.back().detail.starts_with("NotCancelable")) << a.back().detail;

    driver->release(FakeOp::Destroy);
    ASSERT_TRUE(waitSignal(jobPath, "Completed"));
    EXPECT_EQ(signalsOn(jobPath, "Completed")[0].strings[0], "done");
    EXPECT_FALSE(engine->machine("old"));
}

}  // namespace
}  // namespace zenith::unittest
