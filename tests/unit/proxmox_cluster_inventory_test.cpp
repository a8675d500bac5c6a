// What the daemon knows of a Proxmox cluster: /cluster/resources parsed
// strictly (junk skipped, tenants' names escaped), storage contents, the
// choice of a cluster (ClusterSet::pick), and Cluster::refresh - which
// storages it reads, and the last good view kept when a refresh fails.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/text_quote.h"
#include "drivers/proxmox/cluster.h"
#include "drivers/proxmox/guest_driver.h"
#include "drivers/proxmox/guest_images.h"
#include "proxmox_guest_fixture.h"

namespace zenith::drivers::proxmox {
namespace {

using core::ErrorCode;
using nlohmann::json;
using testsupport::FakeHttpTransport;
using Reply = FakeHttpTransport::Reply;


bool validUtf8(std::string_view s)
{
    while (!s.empty()) {
        size_t n = core::utf8CharLength(s);
        if (n == 0)
            return false;
        s.remove_prefix(n);
    }
    return true;
}

// A /cluster/resources answer as Proxmox VE 8 sends it, with the junk a
// server (or a tenant) may put in it.
const char* kResources = R"j([
  {"id":"qemu/9100","type":"qemu","vmid":9100,"node":"pve1","name":"ubuntu-2404-template","status":"stopped",
   "template":1,"maxcpu":2,"maxmem":4294967296,"maxdisk":34359738368,"mem":0,"cpu":0,"uptime":0,"disk":0,
   "diskread":0,"diskwrite":0,"netin":0,"netout":0,"hastate":"","tags":""},
  {"id":"lxc/9101","type":"lxc","vmid":9101,"node":"pve2","name":"migra-client-01","status":"running","template":0,
   "maxcpu":2,"maxmem":2147483648,"mem":104857600,"cpu":0.0123,"uptime":3600,"maxdisk":8589934592,"disk":1073741824,
   "lock":"backup","tags":"cloudpod"},
  {"id":"lxc/9102","type":"lxc","vmid":"9102","node":"pve1","name":"from-an-old-server","status":"stopped",
   "maxmem":"536870912"},
  {"id":"lxc/9000","type":"lxc","vmid":9000,"node":"pve3","status":"unknown"},
  {"id":"node/pve1","type":"node","node":"pve1","status":"online","maxcpu":32,"maxmem":137438953472,
   "mem":34359738368,"uptime":864000,"level":"","cgroup-mode":2,"cpu":0.05,"disk":5368709120,"maxdisk":107374182400},
  {"id":"node/pve3","type":"node","node":"pve3","status":"offline"},
  {"id":"storage/pve1/local-lvm","type":"storage","node":"pve1","storage":"local-lvm","plugintype":"lvmthin",
   "content":"rootdir,images","disk":10737418240,"maxdisk":429496729600,"shared":0,"status":"available"},
  {"id":"storage/pve1/nfs-backup","type":"storage","node":"pve1","storage":"nfs-backup","plugintype":"nfs",
   "content":"backup","disk":1319413953331,"maxdisk":4398046511104,"shared":1,"status":"available"},
  {"id":"storage/pve3/local","type":"storage","node":"pve3","storage":"local","status":"unknown","shared":0},
  {"id":"sdn/pve1/localnetwork","type":"sdn","node":"pve1","sdn":"localnetwork","status":"ok"},
  {"id":"pool/prod","type":"pool","pool":"prod"},
  42,
  "lxc/9999",
  null,
  {"id":"lxc/abc","type":"lxc","vmid":"abc","node":"pve1","name":"bad vmid"},
  {"id":"lxc/99","type":"lxc","vmid":99,"node":"pve1","name":"below 100"},
  {"id":"qemu/1000000000","type":"qemu","vmid":1000000000,"node":"pve1","name":"too big"},
  {"id":"lxc/-5","type":"lxc","vmid":-5,"node":"pve1"},
  {"id":"lxc/9200","type":"lxc","vmid":9200,"node":"pve1/../../etc","name":"path in node"},
  {"id":"lxc/9201","type":"lxc","vmid":9201,"name":"no node"},
  {"id":"node/x","type":"node","node":"pve 4","status":"online"},
  {"id":"storage/pve1/x","type":"storage","node":"pve1","storage":"../x","content":"iso","status":"available"}
])j";

TEST(ProxmoxClusterInventory, ParsesARealisticResourcesAnswer)
{
    auto r = parseClusterResources(json::parse(kResources));
    ASSERT_TRUE(r) << r.error().message;

    ASSERT_EQ(r->guests.size(), 4u);
    // Sorted by vmid.
    EXPECT_EQ(r->guests[0].vmid, 9000u);
    EXPECT_EQ(r->guests[1].vmid, 9100u);
    EXPECT_EQ(r->guests[2].vmid, 9101u);
    EXPECT_EQ(r->guests[3].vmid, 9102u);

    const ClusterGuest& offline = r->guests[0];
    EXPECT_EQ(offline.status, "unknown");
    EXPECT_EQ(offline.name, "");
    EXPECT_EQ(guestState(offline), std::nullopt);

    const ClusterGuest& tmpl = r->guests[1];
    EXPECT_EQ(tmpl.type, "qemu");
    EXPECT_EQ(tmpl.node, "pve1");
    EXPECT_EQ(tmpl.name, "ubuntu-2404-template");
    EXPECT_TRUE(tmpl.isTemplate);
    EXPECT_EQ(tmpl.maxdisk, 32 * kGiB);
    EXPECT_EQ(guestState(tmpl), core::MachineState::Template);

    const ClusterGuest& ct = r->guests[2];
    EXPECT_EQ(ct.type, "lxc");
    EXPECT_EQ(ct.node, "pve2");
    EXPECT_EQ(ct.name, "migra-client-01");
    EXPECT_EQ(ct.status, "running");
    EXPECT_FALSE(ct.isTemplate);
    EXPECT_EQ(ct.lock, "backup");
    EXPECT_EQ(ct.cpus, 2u);
    EXPECT_EQ(ct.maxmem, 2 * kGiB);
    EXPECT_EQ(ct.mem, 100ull << 20);
    EXPECT_EQ(ct.uptime, 3600u);
    EXPECT_DOUBLE_EQ(ct.cpu, 0.0123);
    EXPECT_EQ(guestState(ct), core::MachineState::Running);

    // Numbers as strings (older servers).
    EXPECT_EQ(r->guests[3].maxmem, 512ull << 20);
    EXPECT_EQ(guestState(r->guests[3]), core::MachineState::Stopped);

    ASSERT_EQ(r->nodes.size(), 2u);
    EXPECT_EQ(r->nodes[0].node, "pve1");
    EXPECT_EQ(r->nodes[0].status, "online");
    EXPECT_EQ(r->nodes[0].maxcpu, 32u);
    EXPECT_EQ(r->nodes[0].maxmem, 128 * kGiB);
    EXPECT_EQ(r->nodes[0].uptime, 864000u);
    EXPECT_EQ(r->nodes[1].node, "pve3");
    EXPECT_EQ(r->nodes[1].status, "offline");

    ASSERT_EQ(r->storages.size(), 3u);
    const StorageInfo& lvm = r->storages[0];
    EXPECT_EQ(lvm.node, "pve1");
    EXPECT_EQ(lvm.storage, "local-lvm");
    EXPECT_EQ(lvm.type, "lvmthin");
    EXPECT_EQ(lvm.content, (std::vector<std::string>{"rootdir", "images"}));
    EXPECT_TRUE(lvm.holds("images"));
    EXPECT_TRUE(lvm.holds("rootdir"));
    EXPECT_FALSE(lvm.holds("iso"));
    EXPECT_FALSE(lvm.shared);
    EXPECT_TRUE(lvm.active);
    EXPECT_EQ(lvm.total, 400 * kGiB);
    EXPECT_EQ(lvm.avail, 390 * kGiB);
    const StorageInfo& nfs = r->storages[1];
    EXPECT_TRUE(nfs.shared);
    EXPECT_TRUE(nfs.holds("backup"));
    EXPECT_EQ(nfs.avail, 4398046511104ull - 1319413953331ull);
    const StorageInfo& down = r->storages[2];
    EXPECT_EQ(down.node, "pve3");
    EXPECT_FALSE(down.active);
    EXPECT_TRUE(down.content.empty());
    EXPECT_EQ(down.avail, 0u);

    EXPECT_EQ(findGuest(r->guests, 9101), &r->guests[2]);
    EXPECT_EQ(findGuest(r->guests, 9200), nullptr);
}

TEST(ProxmoxClusterInventory, UsedBeyondTotalIsNoRoomNotAHugeNumber)
{
    auto r = parseClusterResources(json::parse(
        R"([{"type":"storage","node":"pve1","storage":"full","content":"images","disk":500,"maxdisk":400,"status":"available"}])"));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->storages.size(), 1u);
    EXPECT_EQ(r->storages[0].avail, 0u);
}

TEST(ProxmoxClusterInventory, ATenantsGuestNameIsEscapedAndCut)
{
    json data = json::array();
    data.push_back({{"type", "lxc"}, {"vmid", 9101}, {"node", "pve1"}, {"status", "running"},
                    {"name", std::string("evil\nname\x01\x1b[31m\xff\xfe")}});
    data.push_back({{"type", "lxc"}, {"vmid", 9102}, {"node", "pve1"}, {"status", "running"},
                    {"name", std::string(1000, 'a')}});
    data.push_back({{"type", "lxc"}, {"vmid", 9103}, {"node", "pve1"}, {"status", "running"},
                    {"name", "grüße-ÄÖÜ"}});
    auto r = parseClusterResources(data);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->guests.size(), 3u);
    const std::string& evil = r->guests[0].name;
    EXPECT_EQ(evil, "evil\\x0aname\\x01\\x1b[31m\\xff\\xfe");
    EXPECT_FALSE(core::hasControlChars(evil));
    EXPECT_TRUE(validUtf8(evil));
    EXPECT_LE(r->guests[1].name.size(), 128u);
    EXPECT_TRUE(r->guests[1].name.ends_with("..."));
    EXPECT_EQ(r->guests[2].name, "grüße-ÄÖÜ");  // valid UTF-8 is kept
}

TEST(ProxmoxClusterInventory, AnAnswerThatIsNotAListIsTheServersFault)
{
    for (const char* bad : {R"({"data":[]})", "null", R"("x")", "42"}) {
        auto r = parseClusterResources(json::parse(bad));
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().code, ErrorCode::BackendFailed);
    }
    EXPECT_FALSE(parseStorageContent(json::object(), "pve1", "local"));
}

TEST(ProxmoxClusterInventory, ParsesStorageContentKeepingOnlyThatStoragesVolumes)
{
    auto v = parseStorageContent(json::parse(R"j([
      {"volid":"local:iso/debian-12.iso","content":"iso","format":"iso","size":658505728,"ctime":1700000000},
      {"volid":"local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst","content":"vztmpl","format":"tzst","size":126045184},
      {"volid":"local:backup/vzdump-lxc-9000-2024_11_26-10_00_00.tar.zst","content":"backup","format":"tar.zst",
       "size":300000000,"vmid":9000,"notes":"nightly\nrun","ctime":1732615200},
      {"volid":"other:iso/sneaky.iso","content":"iso","size":1},
      {"volid":"localx:iso/prefix.iso","content":"iso","size":1},
      {"content":"iso","size":1},
      7
    ])j"),
                                 "pve1", "local");
    ASSERT_TRUE(v) << v.error().message;
    ASSERT_EQ(v->size(), 3u);
    EXPECT_EQ((*v)[0].volid, "local:iso/debian-12.iso");
    EXPECT_EQ((*v)[0].node, "pve1");
    EXPECT_EQ((*v)[0].storage, "local");
    EXPECT_EQ((*v)[0].content, "iso");
    EXPECT_EQ((*v)[0].size, 658505728u);
    EXPECT_EQ((*v)[1].content, "vztmpl");
    EXPECT_EQ((*v)[2].vmid, 9000u);
    EXPECT_EQ((*v)[2].notes, "nightly\\x0arun");
}

// ---- ClusterSet::pick ----

std::shared_ptr<Cluster> bareCluster(const std::string& name)
{
    ClusterOptions o;
    o.name = name;
    return std::make_shared<Cluster>(o, std::make_unique<FakeHttpTransport>(),
                                     ClusterEndpoint{name, {"https://" + name + ":8006"}, "root@pam!zenith", "s3cret"});
}

TEST(ProxmoxClusterSet, PicksTheNamedClusterOrTheFirstByName)
{
    ClusterSet set({bareCluster("zeta"), bareCluster("alpha"), bareCluster("mid")});
    auto first = set.pick("");
    ASSERT_TRUE(first);
    EXPECT_EQ((*first)->name(), "alpha");
    auto zeta = set.pick("zeta");
    ASSERT_TRUE(zeta);
    EXPECT_EQ((*zeta)->name(), "zeta");
    EXPECT_EQ(set.find("mid"), set.pick("mid").value());
    EXPECT_EQ(set.find("nope"), nullptr);

    auto unknown = set.pick("nope");
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().code, ErrorCode::InvalidArgs);
    EXPECT_NE(unknown.error().message.find("nope"), std::string::npos) << unknown.error().message;
    EXPECT_NE(unknown.error().message.find("alpha, mid, zeta"), std::string::npos) << unknown.error().message;
}

TEST(ProxmoxClusterSet, NoClusterConfiguredIsBackendUnavailable)
{
    ClusterSet none({});
    for (const char* name : {"", "pve"}) {
        auto r = none.pick(name);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, ErrorCode::BackendUnavailable);
    }
    none.start();  // no thread for no cluster
    none.refreshSoon();
}

// ---- Cluster::refresh ----

std::string storageEntry(const std::string& node, const std::string& id, const std::string& content, bool shared,
                         const std::string& status, uint64_t total = 100 * kGiB, uint64_t used = 0)
{
    return fmt::format(R"({{"id":"storage/{}/{}","type":"storage","node":"{}","storage":"{}","plugintype":"dir",)"
                       R"("content":"{}","shared":{},"status":"{}","maxdisk":{},"disk":{}}})",
                       node, id, node, id, content, shared ? 1 : 0, status, total, used);
}

std::string volumeEntry(const std::string& volid, const std::string& content)
{
    return fmt::format(R"({{"volid":"{}","content":"{}","size":1000}})", volid, content);
}

// The cluster "pve" of the fixture; no driver.
class ProxmoxClusterRefreshTest : public ProxmoxGuestFixture {
protected:
    static std::string resources()
    {
        std::string s = "[";
        s += R"({"type":"node","node":"pve1","status":"online"},)";
        s += R"({"type":"node","node":"pve2","status":"online"},)";
        s += R"({"type":"node","node":"pve3","status":"offline"},)";
        s += R"({"type":"lxc","vmid":9000,"node":"pve1","name":"cloudpod-template","status":"stopped","template":1},)";
        s += storageEntry("pve1", "local", "iso,vztmpl,backup", false, "available") + ",";
        s += storageEntry("pve1", "local-lvm", "images,rootdir", false, "available") + ",";
        s += storageEntry("pve2", "local", "vztmpl,iso", false, "available") + ",";
        s += storageEntry("pve2", "local-lvm", "images,rootdir", false, "available") + ",";
        s += storageEntry("pve2", "usb-isos", "iso", false, "unknown") + ",";           // not active
        s += storageEntry("pve3", "local", "iso,vztmpl", false, "available") + ",";     // node offline
        s += storageEntry("pve1", "cephfs", "iso,vztmpl", true, "available") + ",";     // shared: once
        s += storageEntry("pve2", "cephfs", "iso,vztmpl", true, "available") + ",";
        s += storageEntry("pve3", "cephfs", "iso,vztmpl", true, "unknown");
        return s + "]";
    }
    void script()
    {
        fake->on("GET", "/cluster/resources", {FakeHttpTransport::ok(resources())});
        fake->on("GET", "/nodes/pve1/storage/local/content",
                 {FakeHttpTransport::ok("[" + volumeEntry("local:iso/debian-12.iso", "iso") + "]")});
        fake->on("GET", "/nodes/pve2/storage/local/content",
                 {FakeHttpTransport::ok(
                     "[" + volumeEntry("local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst", "vztmpl") + "]")});
        fake->on("GET", "/nodes/pve1/storage/cephfs/content",
                 {FakeHttpTransport::ok("[" + volumeEntry("cephfs:iso/shared-rescue.iso", "iso") + "]")});
        fake->on("GET", "/nodes/pve2/storage/cephfs/content",
                 {FakeHttpTransport::ok("[" + volumeEntry("cephfs:iso/shared-rescue.iso", "iso") + "]")});
    }
    std::vector<std::string> contentReads() const
    {
        std::vector<std::string> out;
        for (const auto& r : fake->requests())
            if (r.url.find("/content") != std::string::npos)
                out.push_back(r.url.substr(std::string(kBase).size()));
        return out;
    }

};

TEST_F(ProxmoxClusterRefreshTest, AViewIsInvalidUntilTheFirstRefresh)
{
    auto v = cluster->view();
    ASSERT_TRUE(v);
    EXPECT_FALSE(v->valid);
    EXPECT_TRUE(v->isos.empty());
    EXPECT_TRUE(fake->requests().empty());
}

TEST_F(ProxmoxClusterRefreshTest, ReadsOnlyActiveImageStoragesOfOnlineNodesAndASharedOneOnce)
{
    script();
    auto r = cluster->refresh();
    ASSERT_TRUE(r) << r.error().message;
    auto reads = contentReads();
    const std::multiset<std::string> got(reads.begin(), reads.end());
    EXPECT_EQ(got, (std::multiset<std::string>{"/nodes/pve1/storage/local/content",
                                               "/nodes/pve2/storage/local/content",
                                               "/nodes/pve1/storage/cephfs/content"}));
    // The first request is the resources, without a type filter.
    ASSERT_FALSE(fake->requests().empty());
    EXPECT_EQ(fake->requests()[0].url, std::string(kBase) + "/cluster/resources");

    auto v = cluster->view();
    EXPECT_TRUE(v->valid);
    EXPECT_EQ(v->lastError, "");
    EXPECT_EQ(v->resources.guests.size(), 1u);
    EXPECT_EQ(v->resources.nodes.size(), 3u);
    std::vector<std::string> isos, templates;
    for (const auto& i : v->isos)
        isos.push_back(i.node + "/" + i.volid);
    for (const auto& t : v->templates)
        templates.push_back(t.node + "/" + t.volid);
    std::sort(isos.begin(), isos.end());
    // The shared ISO is read once and listed for each online node that has
    // the storage active.
    EXPECT_EQ(isos, (std::vector<std::string>{"pve1/cephfs:iso/shared-rescue.iso", "pve1/local:iso/debian-12.iso",
                                              "pve2/cephfs:iso/shared-rescue.iso"}));
    EXPECT_EQ(templates, (std::vector<std::string>{"pve2/local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"}));
    EXPECT_GE(v->refreshed, v->readStarted);
}

TEST_F(ProxmoxClusterRefreshTest, AFailedRefreshKeepsTheLastViewWithItsError)
{
    script();
    ASSERT_TRUE(cluster->refresh());
    auto before = cluster->view();
    fake->on("GET", "/cluster/resources",
             {serverError("proxy loop detected")});
    auto r = cluster->refresh();
    ASSERT_FALSE(r);
    auto after = cluster->view();
    EXPECT_TRUE(after->valid);
    EXPECT_NE(after->lastError, "");
    EXPECT_NE(after->lastError.find("proxy loop"), std::string::npos) << after->lastError;
    EXPECT_EQ(after->resources.guests.size(), before->resources.guests.size());
    EXPECT_EQ(after->isos.size(), before->isos.size());
    EXPECT_EQ(after->templates.size(), before->templates.size());
    EXPECT_EQ(after->refreshed, before->refreshed);
    // The earlier snapshot a reader holds is not changed under it.
    EXPECT_EQ(before->lastError, "");

    // A good refresh clears the error again.
    script();
    ASSERT_TRUE(cluster->refresh());
    EXPECT_EQ(cluster->view()->lastError, "");
}

TEST_F(ProxmoxClusterRefreshTest, AClusterThatDoesNotAnswerLeavesTheViewInvalid)
{
    fake->down("https://pve1:8006");
    auto r = cluster->refresh();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::BackendUnavailable);
    EXPECT_FALSE(cluster->view()->valid);
    EXPECT_NE(cluster->view()->lastError, "");
}

TEST_F(ProxmoxClusterRefreshTest, AnAnswerThatIsNotAListFailsTheRefresh)
{
    fake->on("GET", "/cluster/resources", {FakeHttpTransport::ok(R"({"nodes":[]})")});
    auto r = cluster->refresh();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::BackendFailed);
    EXPECT_FALSE(cluster->view()->valid);
}

// An ISO on a shared storage is on every node that has that storage; the
// refresh reads the storage once, through its first node.
TEST_F(ProxmoxClusterRefreshTest, AnIsoOnASharedStorageIsFoundOnEveryNodeThatHasIt)
{
    script();
    ASSERT_TRUE(cluster->refresh());
    auto v = cluster->view();
    auto onPve2 = findVolume("iso", "shared-rescue.iso", v->isos, std::string("pve2"));
    EXPECT_TRUE(onPve2) << onPve2.error().message;

    GuestDriverOptions o;
    o.type = GuestType::Qemu;
    GuestDriver qemu(o, clusters);
    core::MachineSpec spec;
    spec.backend.values["iso"] = core::SpecValue{std::string("cephfs:iso/shared-rescue.iso"), "s"};
    spec.backend.values["node"] = core::SpecValue{std::string("pve2"), "s"};
    auto r = qemu.validateCreate(spec);
    EXPECT_TRUE(r) << r.error().message;
}

// One storage whose content cannot be read leaves the others usable - but
// the files it had a moment ago are not gone.
TEST_F(ProxmoxClusterRefreshTest, AStorageThatCannotBeReadOnceKeepsItsFiles)
{
    script();
    ASSERT_TRUE(cluster->refresh());
    ASSERT_EQ(cluster->view()->templates.size(), 1u);
    fake->on("GET", "/nodes/pve2/storage/local/content",
             {Reply{500, "storage 'local' is not online", R"({"data":null})"}});
    (void)cluster->refresh();

    GuestDriverOptions o;
    o.type = GuestType::Lxc;
    GuestDriver lxc(o, clusters);
    core::MachineSpec spec;
    spec.backend.values["ostemplate"] =
        core::SpecValue{std::string("debian-12-standard_12.7-1_amd64.tar.zst"), "s"};
    auto r = lxc.validateCreate(spec);
    EXPECT_TRUE(r) << r.error().message;
}

// After a job only the guests changed: one request, the files of the last
// full reading kept.
TEST_F(ProxmoxClusterRefreshTest, AGuestsOnlyRefreshIsOneRequestAndKeepsTheFiles)
{
    script();
    // Before any full reading there are no files to keep: it reads them.
    ASSERT_TRUE(cluster->refresh({}, /*guestsOnly=*/true));
    const size_t afterFirst = fake->requests().size();
    ASSERT_FALSE(contentReads().empty());
    const auto isos = cluster->view()->isos.size();
    ASSERT_GT(isos, 0u);

    ASSERT_TRUE(cluster->refresh({}, /*guestsOnly=*/true));
    ASSERT_EQ(fake->requests().size(), afterFirst + 1);
    EXPECT_NE(fake->requests().back().url.find("/cluster/resources"), std::string::npos);
    EXPECT_EQ(cluster->view()->isos.size(), isos);
    EXPECT_EQ(cluster->view()->resources.nodes.size(), 3u);
}

}  // namespace
}  // namespace zenith::drivers::proxmox
