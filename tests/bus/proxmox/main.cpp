// zenith-bus-proxmox-tests: run inside `tests/harness/sandbox.sh
// --proxmox-sim` (private bus, real polkitd with the project's policy and
// rules, test users, the built daemon configured for the simulated cluster
// [Proxmox.sim]). No base image is built here: this tier makes no nspawn
// machines.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "sandbox_env.h"

namespace {

class ProxmoxSandboxEnvironment : public ::testing::Environment {
public:
    void SetUp() override
    {
        // Abort at once, naming the variable, outside the sandbox or without
        // --proxmox-sim.
        zenith::bustest::sandboxVar("DBUS_SYSTEM_BUS_ADDRESS");
        zenith::bustest::sandboxVar("ZENITH_DAEMON_LOG");
        zenith::bustest::sandboxVar("ZENITH_PVE_INFO");
        zenith::bustest::sandboxVar("ZENITH_PVE_TOKEN_FILE");
        fmt::print(stderr, "bus-proxmox tests: simulator control at {}\n",
                   zenith::bustest::sandboxVar("ZENITH_PVE_CONTROL"));
    }
};

}  // namespace

int main(int argc, char** argv)
{
    ::testing::InitGoogleTest(&argc, argv);
    ::testing::AddGlobalTestEnvironment(new ProxmoxSandboxEnvironment);
    return RUN_ALL_TESTS();
}
