// Cluster failures reach the automation user as the contract's named errors:
// an ISO that no node holds is NoSuchImage; a node that does not answer is
// BackendUnavailable naming the cluster. Either at the call (when the daemon
// knows before any job) or as the job's error: both are accepted, the name
// is what a client switches on.
//
// A token the cluster refuses (removed by an admin: 401) is
// BackendUnavailable naming the cluster; a parameter Proxmox refuses (400
// with per-field errors) is InvalidArgs naming the field, never echoing a
// secret value; a permission the token lacks (403) is BackendFailed with
// Proxmox's permission text. None of them leaves a guest or a lease behind.
//
// Not here: the polkit rule that narrows the automation group to a vmid
// range (vmid_rule_test.cpp).
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

// The token removed on the cluster while the daemon runs (`pveum user
// token remove`): every request is refused with 401. Restored after, even
// when an assertion fails, for the scenarios that follow.
class TokenRevoked {
public:
    TokenRevoked() { simFault({{"token_revoked", true}}); }
    ~TokenRevoked()
    {
        try {
            simFault({{"token_revoked", false}});
        } catch (const std::exception& e) {
            ADD_FAILURE() << "restoring the token: " << e.what();
        }
    }
    TokenRevoked(const TokenRevoked&) = delete;
    TokenRevoked& operator=(const TokenRevoked&) = delete;
};

TEST_F(ProxmoxErrors, ARefusedTokenIsBackendUnavailableNamingTheCluster)
{
    const std::string name = "pod-notoken";
    const uint32_t vmid = 9133;
    MachineCleanup cleanup(name);
    {
        TokenRevoked revoked;
        client::Spec spec;
        spec.setVmid(vmid).setIpv4("auto").setCores(1).setMemoryMax(512ull << 20);
        auto r = cloneAsAuto(kTemplate, name, spec);
        EXPECT_FALSE(r.done()) << r.describe();
        EXPECT_EQ(r.errorName, kErrorBackendUnavailable) << r.describe() << evidence(name);
        EXPECT_NE(r.errorMessage.find(kCluster), std::string::npos)
            << "the message should name cluster '" << kCluster << "': " << r.errorMessage;
        EXPECT_NE(r.errorMessage.find("refused the API token"), std::string::npos) << r.errorMessage;
        // The cluster saw the token and answered 401 (and made nothing).
        bool refused = false;
        for (const auto& q : simRequestsSince(seqAtStart_))
            refused = refused || q.value("status", 0) == 401;
        EXPECT_TRUE(refused) << simRequestsText(seqAtStart_);
        EXPECT_EQ(creations(simRequestsSince(seqAtStart_)), std::vector<std::string>{}) << evidence(name);
    }
    EXPECT_TRUE(simGuest(vmid).is_null()) << simGuest(vmid).dump() << evidence(name);
    EXPECT_EQ(leaseOf(name), std::nullopt) << "a failed clone keeps no address";
}

// A 500 "can't lock file ... got timeout" means the server did nothing: the
// clone is sent again after a backoff and succeeds, with the job none the
// worse.
TEST_F(ProxmoxErrors, ALockTimeoutIsRetriedAndTheCloneSucceeds)
{
    const std::string name = "pod-locktimeout";
    const uint32_t vmid = 9135;
    MachineCleanup cleanup(name);
    simFault({{"http_500_transient", {{"count", 2}, {"match", "POST /nodes/pve1/lxc/9000/clone"}}}});
    client::Spec spec;
    spec.setVmid(vmid).setIpv4("auto").setCores(1).setMemoryMax(512ull << 20);
    auto r = cloneAsAuto(kTemplate, name, spec);
    ASSERT_TRUE(r.done()) << r.describe() << evidence(name);
    EXPECT_TRUE(simGuest(vmid).is_object()) << evidence(name);
    std::vector<int> statuses;
    for (const auto& q : simRequestsSince(seqAtStart_))
        if (q.value("method", "") == "POST" && q.value("path", "").ends_with("/lxc/9000/clone"))
            statuses.push_back(q.value("status", 0));
    EXPECT_EQ(statuses, (std::vector<int>{500, 500, 200})) << simRequestsText(seqAtStart_);
}

TEST_F(ProxmoxErrors, AParameterProxmoxRefusesIsInvalidArgsNamingItWithoutItsValue)
{
    const std::string name = "ct-shortpw";
    const std::string password = "Zq9x";  // Proxmox wants 5 characters at least; the spec key takes any length
    MachineCleanup cleanup(name);

    client::Spec spec;
    ASSERT_TRUE(spec.set("ostemplate", std::string("debian-12-standard_12.7-1_amd64.tar.zst")));
    spec.setPassword(password).setCores(1).setMemoryMax(512ull << 20);
    auto r = createAsAuto(name, "proxmox-lxc", spec);
    EXPECT_FALSE(r.done()) << r.describe();
    EXPECT_EQ(r.errorName, "org.freedesktop.DBus.Error.InvalidArgs") << r.describe() << evidence(name);
    EXPECT_NE(r.errorMessage.find("password"), std::string::npos) << r.errorMessage;
    EXPECT_NE(r.errorMessage.find("at least 5 characters"), std::string::npos) << r.errorMessage;
    EXPECT_EQ(r.describe().find(password), std::string::npos) << "the password is echoed: " << r.describe();
    // Refused at the create call itself: no guest, no lease.
    EXPECT_FALSE(simVmidByName(name).has_value()) << evidence(name);
    EXPECT_EQ(leaseOf(name), std::nullopt);
}

TEST_F(ProxmoxErrors, APermissionTheTokenLacksIsBackendFailedWithProxmoxsText)
{
    const std::string name = "ct-privileged";
    MachineCleanup cleanup(name);

    client::Spec spec;
    ASSERT_TRUE(spec.set("ostemplate", std::string("debian-12-standard_12.7-1_amd64.tar.zst")));
    ASSERT_TRUE(spec.set("unprivileged", false));
    ASSERT_TRUE(spec.set("nesting", true));
    spec.setCores(1).setMemoryMax(512ull << 20);
    auto r = createAsAuto(name, "proxmox-lxc", spec);
    EXPECT_FALSE(r.done()) << r.describe();
    EXPECT_EQ(r.errorName, "org.zenith.Provisioner.Error.BackendFailed") << r.describe() << evidence(name);
    EXPECT_NE(r.errorMessage.find("changing feature flags for privileged container is only allowed for root@pam"),
              std::string::npos)
        << r.errorMessage;
    EXPECT_FALSE(simVmidByName(name).has_value()) << evidence(name);
}

}  // namespace
}  // namespace zenith::bustest::pve
