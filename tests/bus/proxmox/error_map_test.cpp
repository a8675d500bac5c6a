// Cluster failures reach the automation user as the contract's named errors:
// an ISO that no node holds is NoSuchImage; a node that does not answer is
// BackendUnavailable naming the cluster. Either at the call (when the daemon
// knows before any job) or as the job's error: both are accepted, the name
// is what a client switches on.
//
// Not here: a wrong token (the daemon reads its secret once at start; a
// test would need its own daemon), and the polkit rule that narrows the
// automation group to a vmid range (another tier's rule).
#include <gtest/gtest.h>

#include "daemon_view.h"
#include "proxmox_support.h"

namespace zenith::bustest::pve {
namespace {

using nlohmann::json;

class ProxmoxErrors : public ProxmoxTest {};

// Requests that would make a guest (POST to .../qemu, .../lxc or a clone).
std::vector<std::string> creations(const json& requests)
{
    std::vector<std::string> out;
    for (const auto& r : requests) {
        const std::string method = r.value("method", ""), path = r.value("path", "");
        if (method == "POST" &&
            (path.ends_with("/qemu") || path.ends_with("/lxc") || path.ends_with("/clone"))) {
            out.push_back(method + " " + path);
        }
    }
    return out;
}

TEST_F(ProxmoxErrors, IsoOnNoNodeIsNoSuchImage)
{
    const std::string name = "lab-noiso";
    MachineCleanup cleanup(name);

    client::Spec spec;
    spec.setIso("no-such-installer.iso").setOsType("ubuntu").setCores(1).setMemoryMax(1ull << 30).setDiskMax(8ull << 30);
    auto r = createAsAuto(name, "proxmox-qemu", spec);
    EXPECT_FALSE(r.done()) << r.describe();
    EXPECT_EQ(r.errorName, kErrorNoSuchImage) << r.describe() << evidence(name);
    EXPECT_NE(r.errorMessage.find("no-such-installer.iso"), std::string::npos) << r.describe();
    EXPECT_FALSE(simVmidByName(name).has_value()) << evidence(name);
    EXPECT_EQ(creations(simRequestsSince(seqAtStart_)), std::vector<std::string>{}) << evidence(name);
}

TEST_F(ProxmoxErrors, OfflineNodeIsBackendUnavailableNamingTheCluster)
{
    const std::string name = "pod-offline";
    const uint32_t vmid = 9131;
    MachineCleanup cleanup(name);
    {
        // The template's node, pve1, goes down (its port closes; calls for it
        // through the other nodes answer 595 No route to host).
        NodeOffline down("pve1");
        client::Spec spec;
        spec.setVmid(vmid).setIpv4("auto").setCores(1).setMemoryMax(512ull << 20);
        auto r = cloneAsAuto(kTemplate, name, spec);
        EXPECT_FALSE(r.done()) << r.describe();
        EXPECT_EQ(r.errorName, kErrorBackendUnavailable) << r.describe() << evidence(name);
        EXPECT_NE(r.errorMessage.find(kCluster), std::string::npos)
            << "the message should name cluster '" << kCluster << "': " << r.errorMessage;
    }
    EXPECT_TRUE(simGuest(vmid).is_null()) << simGuest(vmid).dump() << evidence(name);
    EXPECT_EQ(leaseOf(name), std::nullopt) << "a failed clone keeps no address";
}

}  // namespace
}  // namespace zenith::bustest::pve
