// Guests of a remote backend listed as machines (engine_inventory.cpp): a
// template made by hand on the cluster becomes a machine callers can clone
// by name; state and node follow the cluster; a guest gone from the cluster
// leaves the list; and a listing read before a job changed a machine does
// not undo what the job did.
#include <gtest/gtest.h>

#include "core/flags.h"
#include "engine_fixture.h"

namespace zenith::unittest {
namespace {

using core::MachineState;
using Clock = std::chrono::system_clock;

drivers::RemoteGuest guest(uint32_t vmid, std::string name, std::optional<MachineState> state,
                           std::string node = "pve1")
{
    drivers::RemoteGuest g;
    g.location = "pve";
    g.node = std::move(node);
    g.vmid = vmid;
    g.name = std::move(name);
    g.state = state;
    g.memoryMax = 512ull << 20;
    return g;
}

class EngineInventoryTest : public EngineTest {
protected:
    void SetUp() override
    {
        beforeRecovery = [](testsupport::FakeDriver& d) { d.withInventory = true; };
        EngineTest::SetUp();
    }
    void report(std::vector<drivers::RemoteGuest> guests, Clock::time_point readAt = Clock::now())
    {
        ASSERT_TRUE(driver->reportGuests("pve", readAt, guests)) << "the engine set no inventory listener";
    }
};

TEST_F(EngineInventoryTest, ListedGuestsBecomeMachinesByTheirNames)
{
    report({guest(9000, "cloudpod-template", MachineState::Template), guest(101, "web", MachineState::Running),
            guest(102, "Not A Name!", MachineState::Stopped), guest(103, "", std::nullopt, "pve2")});
    auto tmpl = engine->machine("cloudpod-template");
    ASSERT_TRUE(tmpl);
    EXPECT_EQ(tmpl->state, MachineState::Template);
    EXPECT_EQ(tmpl->vmid, 9000u);
    EXPECT_EQ(tmpl->node, "pve1");
    EXPECT_EQ(tmpl->location, "pve");
    EXPECT_EQ(tmpl->createdByUid, 0u);
    EXPECT_EQ(engine->machine("web")->state, MachineState::Running);
    // A name that is no machine name, or none: one from where it is.
    ASSERT_TRUE(engine->machine("ct-pve-102"));
    ASSERT_TRUE(engine->machine("ct-pve-103"));
    EXPECT_EQ(engine->machine("ct-pve-103")->state, MachineState::Stopped);  // node offline: no state known
    auto events = observer.machineEvents();
    EXPECT_NE(std::find(events.begin(), events.end(), "added cloudpod-template"), events.end());

    // A second listing changes nothing that did not change.
    report({guest(9000, "cloudpod-template", MachineState::Template), guest(101, "web", MachineState::Running),
            guest(102, "Not A Name!", MachineState::Stopped), guest(103, "", std::nullopt, "pve2")});
    EXPECT_EQ(observer.machineEvents().size(), events.size());
}

TEST_F(EngineInventoryTest, ANameTakenByAnotherMachineGetsOneFromWhereItIs)
{
    makeMachine("web");
    report({guest(101, "web", MachineState::Running)});
    EXPECT_EQ(engine->machine("web")->vmid, 0u);  // ours, untouched
    auto adopted = engine->machine("ct-pve-101");
    ASSERT_TRUE(adopted);
    EXPECT_EQ(adopted->vmid, 101u);
}

TEST_F(EngineInventoryTest, StateAndNodeFollowTheClusterAndAGoneGuestLeaves)
{
    report({guest(101, "web", MachineState::Running)});
    report({guest(101, "web", MachineState::Stopped, "pve3")});
    auto m = engine->machine("web");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->state, MachineState::Stopped);
    EXPECT_EQ(m->node, "pve3");
    // Its node went offline: the last known state stands.
    report({guest(101, "web", std::nullopt, "pve3")});
    EXPECT_EQ(engine->machine("web")->state, MachineState::Stopped);

    report({});
    EXPECT_FALSE(engine->machine("web"));
    auto events = observer.machineEvents();
    EXPECT_EQ(events.back(), "removed web");
}

TEST_F(EngineInventoryTest, AListingReadBeforeAJobEndedDoesNotUndoIt)
{
    const auto before = Clock::now() - std::chrono::seconds(1);
    driver->madeVmid = 101;
    driver->madeLocation = "pve";
    makeMachine("web", core::kFlagNoStart);
    report({guest(101, "web", MachineState::Stopped)});
    auto start = submitSimple("start", "web");
    ASSERT_EQ(observer.waitFinished(start.jobId).state, core::JobState::Done);
    ASSERT_EQ(engine->machine("web")->state, MachineState::Running);

    // Read before the start: stale for this machine.
    report({guest(101, "web", MachineState::Stopped)}, before);
    EXPECT_EQ(engine->machine("web")->state, MachineState::Running);
    // Nor does a stale listing without it remove it.
    report({}, before);
    EXPECT_TRUE(engine->machine("web"));
    // Read after: the cluster says what it is now (once the job has let
    // go of the machine: its lock goes a moment after Completed).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    do
        report({guest(101, "web", MachineState::Stopped)});
    while (engine->machine("web")->state != MachineState::Stopped && std::chrono::steady_clock::now() < deadline);
    EXPECT_EQ(engine->machine("web")->state, MachineState::Stopped);
}

TEST_F(EngineInventoryTest, ADestroyedGuestIsNotListedAgainFromAStaleListing)
{
    const auto before = Clock::now() - std::chrono::seconds(1);
    driver->madeVmid = 101;
    driver->madeLocation = "pve";
    makeMachine("web", core::kFlagNoStart);
    report({guest(101, "web", MachineState::Stopped)});
    auto destroy = submitSimple("destroy", "web");
    ASSERT_EQ(observer.waitFinished(destroy.jobId).state, core::JobState::Done);
    ASSERT_FALSE(engine->machine("web"));

    report({guest(101, "web", MachineState::Stopped)}, before);
    EXPECT_FALSE(engine->machine("web"));
    // Listed again by a fresh reading: it is back on the cluster.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    do
        report({guest(101, "web", MachineState::Stopped)});
    while (!engine->machine("web") && std::chrono::steady_clock::now() < deadline);
    EXPECT_TRUE(engine->machine("web"));
}

TEST_F(EngineInventoryTest, AMachineBeingMadeIsNotListedTwice)
{
    driver->createCheckpoints = {{"vmid", "150"}};
    driver->hold(testsupport::FakeOp::Create);
    auto s = submitCreate("newbox");
    ASSERT_TRUE(driver->waitReachedHold(testsupport::FakeOp::Create));
    // The cluster already shows the guest the job is making.
    report({guest(150, "newbox", MachineState::Stopped)});
    report({guest(150, "newbox-alias", MachineState::Stopped)});
    EXPECT_FALSE(engine->machine("newbox-alias"));
    EXPECT_EQ(engine->machine("newbox")->state, MachineState::Creating);
    driver->release(testsupport::FakeOp::Create);
    EXPECT_EQ(observer.waitFinished(s.jobId).state, core::JobState::Done);
}

TEST_F(EngineInventoryTest, NoListingArrivesAfterTheEngineIsGone)
{
    report({guest(101, "web", MachineState::Running)});
    testsupport::FakeDriver* d = driver;
    // The driver is owned by the engine: reach it through a copy of the
    // pointer only while the engine lives; the engine's destructor clears
    // the listener first.
    engine->shutdown(std::chrono::seconds(5));
    EXPECT_FALSE(d->reportGuests("pve", Clock::now(), {}));
}

}  // namespace
}  // namespace zenith::unittest
