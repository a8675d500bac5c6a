#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/job.h"
#include "core/machine.h"

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

TEST(CoreEnums, JobStatesAndOperationsUseTheContractNames)
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

    const std::vector<std::pair<Operation, std::string>> ops{
        {Operation::Create, "create"}, {Operation::Clone, "clone"}, {Operation::Destroy, "destroy"},
        {Operation::Start, "start"},   {Operation::Stop, "stop"},   {Operation::Template, "template"}};
    for (const auto& [op, name] : ops) {
        EXPECT_EQ(toString(op), name);
        EXPECT_EQ(operationFromString(name), op);
    }
    EXPECT_FALSE(operationFromString("power"));
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
