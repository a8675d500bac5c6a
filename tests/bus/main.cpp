// zenith-bus-tests: run inside tests/harness/sandbox.sh (private bus, real
// polkitd with the project's policy and rules, test users, the built daemon).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "daemon_view.h"
#include "sandbox_env.h"

namespace zenith::bustest {
namespace {

// The first create of a fresh state dir debootstraps the base image (tens of
// seconds); doing it once here keeps every test's own timing predictable.
class BaseImageEnvironment : public ::testing::Environment {
public:
    void SetUp() override
    {
        sandboxVar("DBUS_SYSTEM_BUS_ADDRESS");
        fmt::print(stderr, "bus tests: building the bookworm base image (first create)...\n");
        MachineCleanup cleanup("bus-warmup");
        ASSERT_EQ(createStoppedAsRoot("bus-warmup"), "done");
    }
};

}  // namespace
}  // namespace zenith::bustest

int main(int argc, char** argv)
{
    ::testing::InitGoogleTest(&argc, argv);
    ::testing::AddGlobalTestEnvironment(new zenith::bustest::BaseImageEnvironment);
    return RUN_ALL_TESTS();
}
