// Destroying a CloudPod: a running container is refused without FORCE
// (Busy, and the cluster sees no stop and no delete); with FORCE it is
// stopped, deleted on the cluster, and its address lease goes back to the
// pool.
#include <gtest/gtest.h>

#include "daemon_view.h"
#include "proxmox_support.h"

namespace zenith::bustest::pve {
namespace {

using nlohmann::json;

class ProxmoxDestroy : public ProxmoxTest {};

// Requests of the simulator that would change guest `vmid`.
std::vector<std::string> changesOf(const json& requests, uint32_t vmid)
{
    std::vector<std::string> out;
    const std::string marker = "/" + std::to_string(vmid);
    for (const auto& r : requests) {
        const std::string method = r.value("method", "");
        const std::string path = r.value("path", "");
        const bool aboutIt = path.find("/lxc" + marker) != std::string::npos;
        if (aboutIt && method != "GET") {
            out.push_back(method + " " + path);
        }
    }
    return out;
}

TEST_F(ProxmoxDestroy, RunningNeedsForceThenGoesWithItsLease)
{
    const std::string name = "pod-destroy";
    const uint32_t vmid = 9121;
    MachineCleanup cleanup(name);

    client::Spec spec;
    spec.setVmid(vmid).setIpv4("auto").setCores(1).setMemoryMax(512ull << 20);
    auto made = cloneAsAuto(kTemplate, name, spec);
    ASSERT_TRUE(made.done()) << made.describe() << evidence(name);
    ASSERT_EQ(simGuest(vmid).value("status", ""), "running") << evidence(name);
    auto lease = leaseOf(name);
    ASSERT_TRUE(lease.has_value());

    // Without FORCE: Busy, at the call or as the job's error.
    const uint64_t before = simLastRequestSeq();
    auto refused = destroyAsAuto(name);
    EXPECT_FALSE(refused.done()) << refused.describe();
    EXPECT_EQ(refused.errorName, kErrorBusy) << refused.describe() << evidence(name);
    auto guest = simGuest(vmid);
    ASSERT_TRUE(guest.is_object()) << "the refused destroy removed CT " << vmid << evidence(name);
    EXPECT_EQ(guest.value("status", ""), "running");
    EXPECT_TRUE(guest["lock"].is_null()) << guest.dump();
    EXPECT_EQ(changesOf(simRequestsSince(before), vmid), std::vector<std::string>{}) << evidence(name);
    EXPECT_EQ(machineState(name), "running");
    EXPECT_EQ(leaseOf(name), lease);

    // With FORCE: stopped, then gone.
    auto forced = destroyAsAuto(name, client::kFlagForce);
    ASSERT_TRUE(forced.done()) << forced.describe() << evidence(name);
    EXPECT_TRUE(simGuest(vmid).is_null()) << simGuest(vmid).dump() << evidence(name);
    EXPECT_FALSE(simVmidByName(name).has_value());
    EXPECT_TRUE(waitFor([&] { return !machineOnBus(name); }, std::chrono::seconds(5)))
        << name << " still on the bus: " << machineState(name);
    EXPECT_EQ(leaseOf(name), std::nullopt);
    // Nothing else holds the address: it is free again.
    bool heldByOther = false;
    for (const auto& l : poolLeases()) {
        heldByOther = heldByOther || hostPart(l.address) == *lease;
    }
    EXPECT_FALSE(heldByOther) << *lease << " is still leased";
}

}  // namespace
}  // namespace zenith::bustest::pve
