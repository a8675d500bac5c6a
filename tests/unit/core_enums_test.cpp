#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/job.h"
#include "core/machine.h"
#include "core/ops/operation.h"

using namespace zenith::core;

namespace {

TEST(CoreEnums, MachineStatesUseTheContractNames)
{
    const std::vector<std::pair<MachineState, std::string>> all{
        {MachineState::Creating, "creating"},     {MachineState::Stopped, "stopped"},
        {MachineState::Starting, "starting"},     {MachineState::Running, "running"},
        {MachineState::Stopping, "stopping"},     {MachineState::Destroying, "destroying"},
        {MachineState::Template, "template"},     {MachineState::Failed, "failed"}};
    for (const auto& [state, name] : all) {
        EXPECT_EQ(toString(state), name);
        EXPECT_EQ(machineStateFromString(name), state);
    }
    EXPECT_FALSE(machineStateFromString("Running"));
    EXPECT_FALSE(machineStateFromString(""));
    EXPECT_FALSE(machineStateFromString("paused"));
}

TEST(CoreEnums, JobStatesUseTheContractNames)
{
    const std::vector<std::pair<JobState, std::string>> states{{JobState::Queued, "queued"},
                                                               {JobState::Running, "running"},
                                                               {JobState::Done, "done"},
                                                               {JobState::Failed, "failed"},
                                                               {JobState::Cancelled, "cancelled"}};
    for (const auto& [state, name] : states) {
        EXPECT_EQ(toString(state), name);
        EXPECT_EQ(jobStateFromString(name), state);
    }
    EXPECT_FALSE(jobStateFromString("canceled"));

}

// The operations table: the contract's Job.Operation names, each with its
// polkit action and what it does to the set of machines.
TEST(CoreEnums, OperationsTableHasTheContractNamesAndActions)
{
    struct Want {
        std::string name, action;
        OperationEffect effect;
    };
    const std::vector<Want> want{{"create", "create", OperationEffect::Makes},
                                 {"clone", "clone", OperationEffect::Makes},
                                 {"destroy", "destroy", OperationEffect::Removes},
                                 {"start", "power", OperationEffect::Changes},
                                 {"stop", "power", OperationEffect::Changes},
                                 {"template", "template", OperationEffect::Changes},
                                 {"backup", "backup", OperationEffect::Changes},
                                 {"add-forward", "configure", OperationEffect::Changes},
                                 {"remove-forward", "configure", OperationEffect::Changes}};
    for (const auto& w : want) {
        const Operation* op = findOperation(w.name);
        ASSERT_NE(op, nullptr) << w.name;
        EXPECT_EQ(op->name(), w.name);
        EXPECT_EQ(op->action(), w.action) << w.name;
        EXPECT_EQ(op->effect(), w.effect) << w.name;
    }
    EXPECT_EQ(findOperation("power"), nullptr);
    EXPECT_EQ(findOperation("Create"), nullptr);
    EXPECT_EQ(findOperation(""), nullptr);
}

TEST(CoreEnums, JobResultIsTheFinalState)
{
    JobSnapshot j;
    j.state = JobState::Cancelled;
    EXPECT_EQ(j.result(), "cancelled");
    EXPECT_TRUE(isFinished(JobState::Done));
    EXPECT_TRUE(isFinished(JobState::Failed));
    EXPECT_TRUE(isFinished(JobState::Cancelled));
    EXPECT_FALSE(isFinished(JobState::Queued));
    EXPECT_FALSE(isFinished(JobState::Running));
}

TEST(CoreEnums, PrimaryAddressIsTheFirst)
{
    MachineRecord m;
    EXPECT_EQ(m.primaryAddress(), "");
    m.addresses = {"10.1.10.91/24", "2001:db8::5/64"};
    EXPECT_EQ(m.primaryAddress(), "10.1.10.91/24");
}

}  // namespace
