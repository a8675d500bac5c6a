// The cluster extension as a panel uses it over SSH (zenithctl --json as the
// automation user): the nodes, storages and ISOs of the simulated cluster;
// a CloudPod's health, its backup to the shared backup storage and its
// listed backups; a destroy that backs the machine up first. The nspawn
// backend has no nodes: NotSupported.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "daemon_view.h"
#include "proxmox_support.h"
#include "zenithctl_run.h"

namespace zenith::bustest::pve {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kNotSupported = "org.freedesktop.DBus.Error.NotSupported";
constexpr const char* kBackupStorage = "nfs-backup";  // the seed's only shared backup storage

class ProxmoxCluster : public ProxmoxTest {
protected:
    // zenithctl --json ARGS as zenith-auto; its one document (or last event).
    json ctlJson(const std::vector<std::string>& args, int expectExit = 0)
    {
        auto r = zenithctlAuto(args);
        EXPECT_EQ(r.exitCode, expectExit) << args.front() << ": " << r.out << r.err;
        return lastJson(r.out);
    }

    // A running clone of the CloudPods template with this vmid.
    void clonePod(const std::string& name, uint32_t vmid)
    {
        client::Spec spec;
        spec.setVmid(vmid).setIpv4("auto").setCores(1).setMemoryMax(512ull << 20);
        auto made = cloneAsAuto(kTemplate, name, spec);
        ASSERT_TRUE(made.done()) << made.describe() << evidence(name);
        ASSERT_EQ(simGuest(vmid).value("status", ""), "running") << evidence(name);
    }

    // The backup volids of guest `vmid` the simulator holds.
    static std::set<std::string> simBackupsOf(uint32_t vmid)
    {
        std::set<std::string> out;
        const std::string marker = "vzdump-lxc-" + std::to_string(vmid) + "-";
        for (const auto& v : simState().value("volumes", json::array())) {
            const std::string volid = v.value("volid", "");
            if (volid.find(marker) != std::string::npos) {
                out.insert(volid);
            }
        }
        return out;
    }
};

// The index in `requests` of the first one with this method whose path
// holds `pathPart` and, when given, whose vmid parameter is `vmid`; -1 if none.
int requestIndex(const json& requests, const std::string& method, const std::string& pathPart,
                 const std::string& vmid = "")
{
    for (size_t i = 0; i < requests.size(); ++i) {
        const auto& r = requests[i];
        if (r.value("method", "") != method || r.value("path", "").find(pathPart) == std::string::npos) {
            continue;
        }
        if (!vmid.empty()) {
            const json params = r.value("params", json::object());
            const json v = params.contains("vmid") ? params["vmid"] : json();
            if (!(v.is_string() ? v.get<std::string>() == vmid : v.dump() == vmid)) {
                continue;
            }
        }
        return static_cast<int>(i);
    }
    return -1;
}

TEST_F(ProxmoxCluster, NodesAreListedOnline)
{
    auto doc = ctlJson({"nodes"});
    ASSERT_TRUE(doc.is_array()) << doc.dump();
    std::set<std::string> online;
    for (const auto& n : doc) {
        EXPECT_EQ(n.value("cluster", ""), kCluster) << n.dump();
        if (n.value("status", "") == "online") {
            online.insert(n.value("node", ""));
        }
        EXPECT_GT(n.value("cpus", 0u), 0u) << n.dump();
        EXPECT_GT(n.value("memory_total", uint64_t(0)), 0u) << n.dump();
    }
    EXPECT_EQ(online, (std::set<std::string>{"pve1", "pve2", "pve3"})) << doc.dump();
    // proxmox-qemu is the same cluster.
    EXPECT_EQ(ctlJson({"nodes", "--backend", "proxmox-qemu"}).size(), doc.size());
}

TEST_F(ProxmoxCluster, StoragesAreListedWithTheirFreeSpace)
{
    auto doc = ctlJson({"storages"});
    ASSERT_TRUE(doc.is_array()) << doc.dump();
    std::set<std::string> seen;
    for (const auto& s : doc) {
        const std::string name = s.value("storage", "");
        seen.insert(name);
        if (s.value("node", "") != "pve1") {
            continue;
        }
        EXPECT_TRUE(s.value("active", false)) << s.dump();
        EXPECT_GT(s.value("avail", uint64_t(0)), 0u) << s.dump();
        EXPECT_LE(s.value("avail", uint64_t(0)), s.value("total", uint64_t(0))) << s.dump();
        if (name == "local-lvm") {
            EXPECT_EQ(s.value("type", ""), "lvmthin");
            const auto content = s.value("content", std::vector<std::string>{});
            EXPECT_NE(std::find(content.begin(), content.end(), "rootdir"), content.end()) << s.dump();
        }
        if (name == kBackupStorage) {
            EXPECT_TRUE(s.value("shared", false)) << s.dump();
            EXPECT_EQ(s.value("content", std::vector<std::string>{}), std::vector<std::string>{"backup"});
        }
    }
    for (const char* name : {"local", "local-lvm", "vmdata", kBackupStorage}) {
        EXPECT_TRUE(seen.contains(name)) << name << " not listed: " << doc.dump();
    }
}

TEST_F(ProxmoxCluster, IsosAreListedWithTheNodesHoldingThem)
{
    auto doc = ctlJson({"isos"});
    ASSERT_TRUE(doc.is_array()) << doc.dump();
    std::map<std::string, std::vector<std::string>> nodesOf;
    for (const auto& i : doc) {
        EXPECT_EQ(i.value("kind", ""), "iso") << i.dump();
        nodesOf[i.value("id", "")] = i.value("nodes", std::vector<std::string>{});
    }
    EXPECT_EQ(nodesOf["local:iso/debian-12.iso"], std::vector<std::string>{"pve1"}) << doc.dump();
    EXPECT_EQ(nodesOf["local:iso/ubuntu-24.04-live-server-amd64.iso"], std::vector<std::string>{"pve2"});
    EXPECT_EQ(nodesOf["local:iso/Win11_24H2.iso"], std::vector<std::string>{"pve3"});
    EXPECT_EQ(nodesOf["local:iso/virtio-win-0.1.262.iso"], std::vector<std::string>{"pve3"});

    // Container templates: on every node.
    auto templates = ctlJson({"templates"});
    ASSERT_TRUE(templates.is_array()) << templates.dump();
    bool debian = false;
    for (const auto& t : templates) {
        if (t.value("id", "") == "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst") {
            debian = true;
            EXPECT_EQ(t.value("nodes", std::vector<std::string>{}),
                      (std::vector<std::string>{"pve1", "pve2", "pve3"}))
                << t.dump();
        }
    }
    EXPECT_TRUE(debian) << templates.dump();
}

TEST_F(ProxmoxCluster, BackupOfACloudPodIsListedWithItsNotesAndHealthShowsItRunning)
{
    const std::string name = "pod-backup";
    const uint32_t vmid = 9161;
    MachineCleanup cleanup(name);
    clonePod(name, vmid);

    // Health as the cluster last reported it (the driver reads it again
    // soon after a job changed something).
    json health;
    EXPECT_TRUE(waitFor(
        [&] {
            auto h = zenithctlAuto({"health", name});
            health = lastJson(h.out);
            return h.exitCode == 0 && health.value("status", "") == "running";
        },
        45s))
        << health.dump() << evidence(name);
    EXPECT_EQ(health.value("name", ""), name);
    EXPECT_EQ(health.value("cpus", 0u), 1u) << health.dump();
    EXPECT_EQ(health.value("memory_max", uint64_t(0)), 512ull << 20) << health.dump();
    EXPECT_GT(health.value("as_of", uint64_t(0)), 0u) << health.dump();

    // A dry run: the plan, nothing on the cluster.
    const uint64_t beforeDry = simLastRequestSeq();
    auto dry = ctlJson({"backup", name, "--dry-run"});
    EXPECT_EQ(dry.value("result", ""), "done") << dry.dump();
    EXPECT_NE(dry.value("message", "").find("would back up"), std::string::npos) << dry.dump();
    EXPECT_EQ(requestIndex(simRequestsSince(beforeDry), "POST", "/vzdump"), -1) << evidence(name);

    const auto before = simBackupsOf(vmid);
    auto r = zenithctlAuto({"backup", name});
    ASSERT_EQ(r.exitCode, 0) << r.out << r.err << evidence(name);
    auto result = lastJson(r.out);
    EXPECT_EQ(result.value("event", ""), "result") << r.out;
    EXPECT_EQ(result.value("result", ""), "done") << r.out;
    EXPECT_EQ(result.value("operation", ""), "backup") << r.out;
    EXPECT_FALSE(jsonEvents(r.out, "progress").empty()) << r.out;

    // On the cluster: one new backup on the shared backup storage.
    std::set<std::string> made;
    for (const auto& v : simBackupsOf(vmid)) {
        if (!before.contains(v)) {
            made.insert(v);
        }
    }
    ASSERT_EQ(made.size(), 1u) << simState()["volumes"].dump() << evidence(name);
    const std::string volid = *made.begin();
    EXPECT_TRUE(volid.starts_with(std::string(kBackupStorage) + ":backup/")) << volid;

    // Listed at once (the driver reads the storages again after a backup),
    // with notes naming the machine.
    auto backups = ctlJson({"backups", name});
    ASSERT_TRUE(backups.is_array()) << backups.dump();
    json row;
    for (const auto& b : backups) {
        if (b.value("volid", "") == volid) {
            row = b;
        }
    }
    ASSERT_TRUE(row.is_object()) << volid << " not in " << backups.dump() << evidence(name);
    EXPECT_EQ(row.value("storage", ""), kBackupStorage);
    EXPECT_EQ(row.value("cluster", ""), kCluster);
    // A shared storage is read through every node: the row names one of them
    // (the driver's choice, not necessarily the guest's node).
    EXPECT_TRUE((std::set<std::string>{"pve1", "pve2", "pve3"}).contains(row.value("node", ""))) << row.dump();
    EXPECT_GT(row.value("size", uint64_t(0)), 0u) << row.dump();
    EXPECT_GT(row.value("ctime", uint64_t(0)), 0u) << row.dump();
    EXPECT_NE(row.value("notes", "").find(name), std::string::npos) << row.dump();
    // The guest kept running (snapshot mode).
    EXPECT_EQ(simGuest(vmid).value("status", ""), "running");
    EXPECT_TRUE(simGuest(vmid)["lock"].is_null()) << simGuest(vmid).dump();
}

TEST_F(ProxmoxCluster, DestroyWithBackupFirstBacksUpThenDestroys)
{
    const std::string name = "pod-lastcopy";
    const uint32_t vmid = 9162;
    MachineCleanup cleanup(name);
    clonePod(name, vmid);

    const uint64_t before = simLastRequestSeq();
    auto r = zenithctlAuto({"destroy", name, "--force", "--backup-first"});
    ASSERT_EQ(r.exitCode, 0) << r.out << r.err << evidence(name);
    EXPECT_EQ(lastJson(r.out).value("result", ""), "done") << r.out;

    const json requests = simRequestsSince(before);
    const int vzdump = requestIndex(requests, "POST", "/vzdump", std::to_string(vmid));
    const int destroyed = requestIndex(requests, "DELETE", "/lxc/" + std::to_string(vmid));
    ASSERT_GE(vzdump, 0) << "no vzdump of " << vmid << evidence(name);
    ASSERT_GE(destroyed, 0) << "no DELETE of CT " << vmid << evidence(name);
    EXPECT_LT(vzdump, destroyed) << "the backup must come before the destroy" << evidence(name);

    EXPECT_TRUE(simGuest(vmid).is_null()) << simGuest(vmid).dump() << evidence(name);
    EXPECT_EQ(simBackupsOf(vmid).size(), 1u) << "the backup outlives the guest";
    EXPECT_TRUE(waitFor([&] { return !machineOnBus(name); }, 5s)) << machineState(name);
    EXPECT_EQ(leaseOf(name), std::nullopt);
}

TEST_F(ProxmoxCluster, NspawnHasNoNodes)
{
    auto err = ctlJson({"nodes", "--backend", "nspawn"}, 2);
    EXPECT_EQ(err.value("event", ""), "error") << err.dump();
    EXPECT_EQ(err.value("error_name", ""), kNotSupported) << err.dump();
    auto c = connectClient();
    auto nodes = c.nodes("nspawn");
    ASSERT_FALSE(nodes.has_value());
    EXPECT_EQ(nodes.error().name, kNotSupported) << nodes.error().message;
    EXPECT_EQ(c.storages("nspawn").error().name, kNotSupported);
}

}  // namespace
}  // namespace zenith::bustest::pve
