// Which properties a change announces, and that a stale job snapshot never
// moves a job backwards.
#include <gtest/gtest.h>

#include "dbus/job_object.h"
#include "dbus/machine_object.h"

using namespace zenith;
using core::JobState;
using Names = std::vector<std::string>;

TEST(DbusObjectDiff, MachineStateAndAddresses)
{
    core::MachineRecord a;
    a.name = "web1";
    a.state = core::MachineState::Creating;
    auto b = a;
    EXPECT_TRUE(dbus::changedMachineProperties(a, b).empty());
    b.state = core::MachineState::Running;
    b.addresses = {"10.1.10.91"};
    b.memoryMax = 1 << 30;
    EXPECT_EQ(dbus::changedMachineProperties(a, b), (Names{"State", "Addresses", "MemoryMax"}));
}

TEST(DbusObjectDiff, MachineEveryMutableProperty)
{
    core::MachineRecord a, b;
    b.state = core::MachineState::Failed;
    b.distro = "debian";
    b.release = "bullseye";
    b.arch = "arm64";
    b.addresses = {"x"};
    b.cpuQuota = 50;
    b.memoryMax = 1;
    b.node = "pve1";
    b.vmid = 100;
    EXPECT_EQ(dbus::changedMachineProperties(a, b),
              (Names{"State", "Distro", "Release", "Arch", "Addresses", "CPUQuota", "MemoryMax", "Node", "VMID"}));
}

TEST(DbusObjectDiff, JobStateAndProgressAreSeparate)
{
    core::JobSnapshot a;
    a.state = JobState::Running;
    auto b = a;
    b.progress = 0.4;
    b.step = "clone";
    EXPECT_TRUE(dbus::changedJobStateProperties(a, b).empty());
    EXPECT_EQ(dbus::changedJobProgressProperties(a, b), (Names{"Progress", "Step"}));
    b.state = JobState::Failed;
    b.errorName = "BackendFailed";
    b.errorMessage = "boom";
    // Cancelable reads false once finished.
    EXPECT_EQ(dbus::changedJobStateProperties(a, b), (Names{"State", "Cancelable", "ErrorName", "ErrorMessage"}));
}

TEST(DbusObjectDiff, MergeNeverGoesBackwards)
{
    core::JobSnapshot running;
    running.state = JobState::Running;
    running.progress = 0.6;
    running.step = "configure";

    core::JobSnapshot staleQueued;
    staleQueued.state = JobState::Queued;
    staleQueued.step = "queued";
    EXPECT_EQ(dbus::mergeJobSnapshot(running, staleQueued).step, "configure");
    EXPECT_EQ(dbus::mergeJobSnapshot(running, staleQueued).state, JobState::Running);

    core::JobSnapshot lower = running;
    lower.progress = 0.3;
    lower.message = "newer text";
    auto merged = dbus::mergeJobSnapshot(running, lower);
    EXPECT_DOUBLE_EQ(merged.progress, 0.6);
    EXPECT_EQ(merged.message, "newer text");

    core::JobSnapshot done = running;
    done.state = JobState::Done;
    done.progress = 1.0;
    EXPECT_EQ(dbus::mergeJobSnapshot(done, running).state, JobState::Done);
    EXPECT_EQ(dbus::mergeJobSnapshot(running, done).state, JobState::Done);
}
