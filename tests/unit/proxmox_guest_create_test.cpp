// GuestDriver::create against the shared fake transport: a container from a
// template file and a VM from an ISO, each made on the node that holds its
// file (as the refreshed view says), the storage with most room, Windows
// with its VirtIO driver ISO, make_template; and what validate/validateCreate
// refuse before any job.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "core/spec.h"
#include "drivers/proxmox/spec_keys.h"
#include "proxmox_guest_fixture.h"

namespace zenith::drivers::proxmox {
namespace {

using core::ErrorCode;
using core::MachineState;
using testsupport::FakeHttpTransport;

constexpr const char* kPassword = "Tr0ub4dor&3-very-secret";
constexpr const char* kTemplate = "debian-12-standard_12.7-1_amd64.tar.zst";

std::string storage(const std::string& node, const std::string& id, const std::string& type,
                    const std::string& content, uint64_t total, uint64_t used, bool shared = false)
{
    return fmt::format(R"({{"id":"storage/{}/{}","type":"storage","node":"{}","storage":"{}","plugintype":"{}",)"
                       R"("content":"{}","maxdisk":{},"disk":{},"shared":{},"status":"available"}})",
                       node, id, node, id, type, content, total, used, shared ? 1 : 0);
}

// Three nodes; pve2's vmdata has the most room for guests there; the
// container template only on pve2; Windows and the VirtIO ISOs on pve3.
std::string resources(const std::string& extraGuest = "")
{
    std::string s = "[";
    for (const char* n : {"pve1", "pve2", "pve3"})
        s += fmt::format(R"({{"id":"node/{}","type":"node","node":"{}","status":"online","maxcpu":16,)"
                         R"("maxmem":68719476736}},)",
                         n, n);
    s += storage("pve1", "local", "dir", "iso,vztmpl,backup", 100 * kGiB, 18 * kGiB) + ",";
    s += storage("pve1", "local-lvm", "lvmthin", "images,rootdir", 400 * kGiB, 0) + ",";
    s += storage("pve2", "local", "dir", "iso,vztmpl,backup", 100 * kGiB, 18 * kGiB) + ",";
    s += storage("pve2", "local-lvm", "lvmthin", "rootdir,images", 400 * kGiB, 300 * kGiB) + ",";
    s += storage("pve2", "vmdata", "dir", "images,rootdir", 1024 * kGiB, 50 * kGiB) + ",";
    s += storage("pve2", "bigiso", "dir", "iso", 4096 * kGiB, 0) + ",";
    s += storage("pve3", "local", "dir", "iso,vztmpl,backup", 100 * kGiB, 18 * kGiB) + ",";
    s += storage("pve3", "local-lvm", "lvmthin", "images,rootdir", 400 * kGiB, 10 * kGiB) + ",";
    s += storage("pve1", "nfs-backup", "nfs", "backup", 4096 * kGiB, 1200 * kGiB, true);
    if (!extraGuest.empty())
        s += "," + extraGuest;
    return s + "]";
}

std::string volume(const std::string& volid, const std::string& content, uint64_t size)
{
    return fmt::format(R"({{"volid":"{}","content":"{}","format":"{}","size":{},"ctime":1700000000}})", volid,
                       content, content == "iso" ? "iso" : "tzst", size);
}

class ProxmoxGuestCreateTest : public ProxmoxGuestFixture {
protected:
    void SetUp() override
    {
        ProxmoxGuestFixture::SetUp();
        lxc = makeDriver(GuestType::Lxc);
        qemu = makeDriver(GuestType::Qemu);
    }
    void inventory(bool virtio = true)
    {
        fake->on("GET", "/cluster/resources", {FakeHttpTransport::ok(resources())});
        fake->on("GET", "/nodes/pve1/storage/local/content",
                 {FakeHttpTransport::ok("[" + volume("local:iso/debian-12.iso", "iso", 600 << 20) + "]")});
        fake->on("GET", "/nodes/pve2/storage/local/content",
                 {FakeHttpTransport::ok(
                     "[" + volume("local:iso/ubuntu-24.04-live-server-amd64.iso", "iso", 2600ull << 20) + "," +
                     volume(std::string("local:vztmpl/") + kTemplate, "vztmpl", 120 << 20) + "]")});
        fake->on("GET", "/nodes/pve2/storage/bigiso/content", {FakeHttpTransport::ok("[]")});
        std::string pve3 = "[" + volume("local:iso/Win11_24H2.iso", "iso", 5800ull << 20);
        if (virtio)
            pve3 += "," + volume("local:iso/virtio-win-0.1.96.iso", "iso", 300 << 20) + "," +
                    volume("local:iso/virtio-win-0.1.262.iso", "iso", 700 << 20);
        fake->on("GET", "/nodes/pve3/storage/local/content", {FakeHttpTransport::ok(pve3 + "]")});
    }
    std::string answersTask(const std::string& method, const std::string& path, const std::string& node,
                            const std::string& type, uint32_t id, unsigned pid)
    {
        return ProxmoxGuestFixture::answersTask(method, path, upidFor(node, type, id, pid));
    }
    // The requests that are neither task polls nor storage content reads
    // (which storages a refresh reads is proxmox_cluster_inventory_test's).
    std::vector<std::string> nonPolls() const { return ProxmoxGuestFixture::nonPolls("/content"); }
    bool said(const std::string& text) const
    {
        for (const auto& e : ctx.events())
            if (e.message.find(text) != std::string::npos)
                return true;
        return false;
    }
    static void set(core::MachineSpec& s, const std::string& key, std::string value)
    {
        s.backend.values[key] = core::SpecValue{std::move(value), "s"};
    }
    static void setFlag(core::MachineSpec& s, const std::string& key, bool value)
    {
        s.backend.values[key] = core::SpecValue{value, "b"};
    }

    std::unique_ptr<GuestDriver> lxc, qemu;
};

// ---- LXC ----

TEST_F(ProxmoxGuestCreateTest, AContainerIsMadeFromItsTemplateOnTheNodeThatHoldsIt)
{
    inventory();
    fake->on("GET", "/cluster/nextid", {FakeHttpTransport::ok(R"("120")")});
    const std::string create = answersTask("POST", "/nodes/pve2/lxc", "pve2", "vzcreate", 120, 1);
    const std::string start = answersTask("POST", "/nodes/pve2/lxc/120/status/start", "pve2", "vzstart", 120, 2);
    core::MachineSpec spec;
    set(spec, "ostemplate", kTemplate);
    spec.password = core::Secret(kPassword);
    spec.ipv4 = "10.1.10.50/24";
    spec.gateway = "10.1.10.1";

    // The view was never read: create reads it first.
    auto facts = lxc->create("web-02", spec, true, ctx);
    ASSERT_TRUE(facts) << facts.error().message;

    EXPECT_EQ(nonPolls(), (std::vector<std::string>{
                              "GET /cluster/resources",
                              "GET /cluster/nextid",
                              "POST /nodes/pve2/lxc",
                              "POST /nodes/pve2/lxc/120/status/start",
                          }));
    EXPECT_EQ(requestsTo("GET", "/nodes/pve2/storage/local/content").size(), 1u);
    auto post = requestsTo("POST", "/nodes/pve2/lxc");
    ASSERT_EQ(post.size(), 1u);
    const Params form = decodeForm(post[0].body);
    EXPECT_EQ(param(form, "vmid"), "120");
    EXPECT_EQ(param(form, "ostemplate"), std::string("local:vztmpl/") + kTemplate);
    EXPECT_EQ(param(form, "hostname"), "web-02");
    EXPECT_EQ(param(form, "rootfs"), "vmdata:8");  // rootdir storage on pve2 with most room
    EXPECT_EQ(param(form, "unprivileged"), "1");
    EXPECT_EQ(param(form, "net0"), "name=eth0,bridge=vmbr0,ip=10.1.10.50/24,gw=10.1.10.1");
    EXPECT_EQ(param(form, "password"), kPassword);

    // The password went in the body and nowhere else.
    for (const auto& e : ctx.events()) {
        EXPECT_EQ(e.message.find(kPassword), std::string::npos) << e.message;
        EXPECT_EQ(e.step.find(kPassword), std::string::npos);
    }
    for (const auto& [k, v] : ctx.checkpoints())
        EXPECT_EQ(v.find(kPassword), std::string::npos) << k;
    for (const auto& r : fake->requests())
        EXPECT_EQ(r.url.find("Tr0ub4dor"), std::string::npos) << r.url;

    for (const auto& r : fake->requests())
        if (isTaskRequest(r)) {
            EXPECT_EQ(r.url.find(std::string(kBase) + "/nodes/pve2/tasks/UPID%3Apve2%3A"), 0u) << r.url;
        }
    EXPECT_EQ(facts->node, "pve2");
    EXPECT_EQ(facts->vmid, 120u);
    EXPECT_EQ(facts->location, "pve");
    EXPECT_EQ(facts->addresses, (std::vector<std::string>{"10.1.10.50"}));
    auto cp = ctx.checkpoints();
    EXPECT_EQ(cp["vmid"], "120");
    EXPECT_EQ(cp["node"], "pve2");
    EXPECT_EQ(cp["cluster"], "pve");
    EXPECT_EQ(cp["upid"], start);
    (void)create;
}

TEST_F(ProxmoxGuestCreateTest, AContainerWithoutStartIsNotStartedAndKeepsAPrivilegedChoice)
{
    inventory();
    ASSERT_TRUE(cluster->refresh());
    answersTask("POST", "/nodes/pve2/lxc", "pve2", "vzcreate", 9200, 1);
    core::MachineSpec spec;
    set(spec, "ostemplate", std::string("local:vztmpl/") + kTemplate);
    spec.backend.values["vmid"] = core::SpecValue{uint32_t{9200}, "u"};
    setFlag(spec, "unprivileged", false);
    spec.diskMax = 20 * kGiB + 1;  // rounded up
    set(spec, "storage", "local-lvm");
    auto facts = lxc->create("web-03", spec, false, ctx);
    ASSERT_TRUE(facts) << facts.error().message;
    const size_t reads = 1;  // the refresh above
    auto reqs = nonPolls();
    ASSERT_EQ(reqs.size(), reads + 1) << "no nextid, no start";
    EXPECT_EQ(reqs.back(), "POST /nodes/pve2/lxc");
    const Params form = decodeForm(requestsTo("POST", "/nodes/pve2/lxc")[0].body);
    EXPECT_EQ(param(form, "unprivileged"), "0");
    EXPECT_EQ(param(form, "rootfs"), "local-lvm:21");
    EXPECT_EQ(param(form, "password"), std::nullopt);
}

TEST_F(ProxmoxGuestCreateTest, AFailedCreateTaskRemovesTheHalfMadeContainer)
{
    inventory();
    ASSERT_TRUE(cluster->refresh());
    const std::string up = upidFor("pve2", "vzcreate", 9200, 1);
    fake->on("POST", "/nodes/pve2/lxc", {FakeHttpTransport::ok('"' + up + '"')});
    task(up, "unable to create CT 9200 - no space left");
    fake->on("GET", "/nodes/pve2/lxc/9200/config", {FakeHttpTransport::ok(R"({"hostname":"web-03","lock":"create"})")});
    answersTask("DELETE", "/nodes/pve2/lxc/9200", "pve2", "vzdestroy", 9200, 2);
    core::MachineSpec spec;
    set(spec, "ostemplate", kTemplate);
    spec.backend.values["vmid"] = core::SpecValue{uint32_t{9200}, "u"};
    auto facts = lxc->create("web-03", spec, true, ctx);
    ASSERT_FALSE(facts);
    EXPECT_EQ(facts.error().code, ErrorCode::BackendFailed);
    EXPECT_EQ(requestsTo("DELETE", "/nodes/pve2/lxc/9200").size(), 1u);
    EXPECT_TRUE(requestsTo("POST", "/nodes/pve2/lxc/9200/status/start").empty());
}

TEST_F(ProxmoxGuestCreateTest, ANextIdSomeoneTookMeanwhileIsSkipped)
{
    inventory();
    ASSERT_TRUE(cluster->refresh());
    fake->on("GET", "/cluster/nextid", {FakeHttpTransport::ok(R"("120")"), FakeHttpTransport::ok(R"("121")")});
    const std::string up = upidFor("pve2", "vzcreate", 121, 1);
    fake->on("POST", "/nodes/pve2/lxc",
             {serverError("CT 120 already exists on node 'pve1'"),
              FakeHttpTransport::ok('"' + up + '"')});
    task(up);
    core::MachineSpec spec;
    set(spec, "ostemplate", kTemplate);
    auto facts = lxc->create("web-04", spec, false, ctx);
    ASSERT_TRUE(facts) << facts.error().message;
    EXPECT_EQ(facts->vmid, 121u);
    auto posts = requestsTo("POST", "/nodes/pve2/lxc");
    ASSERT_EQ(posts.size(), 2u);
    EXPECT_EQ(param(decodeForm(posts[1].body), "vmid"), "121");
}

// ---- QEMU ----

TEST_F(ProxmoxGuestCreateTest, AVmIsMadeOnTheNodeWithItsIsoAndLeftStopped)
{
    inventory();
    ASSERT_TRUE(cluster->refresh());
    answersTask("POST", "/nodes/pve2/qemu", "pve2", "qmcreate", 9300, 1);
    core::MachineSpec spec;
    set(spec, "iso", "ubuntu-24.04-live-server-amd64.iso");
    spec.backend.values["vmid"] = core::SpecValue{uint32_t{9300}, "u"};
    spec.cores = 4;
    spec.memoryMax = 8 * kGiB;
    auto facts = qemu->create("build-01", spec, true, ctx);
    ASSERT_TRUE(facts) << facts.error().message;

    auto post = requestsTo("POST", "/nodes/pve2/qemu");
    ASSERT_EQ(post.size(), 1u);
    const Params form = decodeForm(post[0].body);
    EXPECT_EQ(param(form, "vmid"), "9300");
    EXPECT_EQ(param(form, "name"), "build-01");
    EXPECT_EQ(param(form, "ide2"), "local:iso/ubuntu-24.04-live-server-amd64.iso,media=cdrom");
    EXPECT_EQ(param(form, "scsi0"), "vmdata:32,iothread=1,discard=on");
    EXPECT_EQ(param(form, "net0"), "virtio,bridge=vmbr0");
    EXPECT_EQ(param(form, "cores"), "4");
    EXPECT_EQ(param(form, "memory"), "8192");
    EXPECT_EQ(param(form, "ostype"), "l26");
    EXPECT_EQ(param(form, "start"), std::nullopt);
    EXPECT_EQ(param(form, "ide0"), std::nullopt);

    for (const auto& r : fake->requests())
        EXPECT_EQ(r.url.find("/status/start"), std::string::npos) << "a VM waits for its installation: " << r.url;
    EXPECT_EQ(facts->node, "pve2");
    EXPECT_EQ(facts->vmid, 9300u);
    ASSERT_TRUE(facts->state.has_value());
    EXPECT_EQ(*facts->state, MachineState::Stopped);
}

TEST_F(ProxmoxGuestCreateTest, AWindowsVmGetsTheNewestVirtioIsoOnItsNodeAsIde0)
{
    inventory(true);
    ASSERT_TRUE(cluster->refresh());
    answersTask("POST", "/nodes/pve3/qemu", "pve3", "qmcreate", 9301, 1);
    core::MachineSpec spec;
    set(spec, "iso", "Win11_24H2.iso");
    set(spec, "os_type", "win11");
    spec.backend.values["vmid"] = core::SpecValue{uint32_t{9301}, "u"};
    auto facts = qemu->create("win-01", spec, false, ctx);
    ASSERT_TRUE(facts) << facts.error().message;
    const Params form = decodeForm(requestsTo("POST", "/nodes/pve3/qemu").at(0).body);
    EXPECT_EQ(param(form, "ide0"), "local:iso/virtio-win-0.1.262.iso,media=cdrom");
    EXPECT_EQ(param(form, "ide2"), "local:iso/Win11_24H2.iso,media=cdrom");
    EXPECT_EQ(param(form, "ostype"), "win11");
    EXPECT_EQ(param(form, "bios"), "ovmf");
    EXPECT_EQ(param(form, "efidisk0"), "local-lvm:1,efitype=4m,pre-enrolled-keys=1");
    EXPECT_TRUE(param(form, "tpmstate0").has_value());
    EXPECT_FALSE(said("no VirtIO"));
    EXPECT_EQ(facts->node, "pve3");
}

TEST_F(ProxmoxGuestCreateTest, AWindowsVmWithoutAVirtioIsoIsMadeAndTheJobSaysSo)
{
    inventory(false);
    ASSERT_TRUE(cluster->refresh());
    answersTask("POST", "/nodes/pve3/qemu", "pve3", "qmcreate", 9301, 1);
    core::MachineSpec spec;
    set(spec, "iso", "Win11_24H2.iso");
    set(spec, "os_type", "windows");
    spec.backend.values["vmid"] = core::SpecValue{uint32_t{9301}, "u"};
    auto facts = qemu->create("win-01", spec, false, ctx);
    ASSERT_TRUE(facts) << facts.error().message;
    const Params form = decodeForm(requestsTo("POST", "/nodes/pve3/qemu").at(0).body);
    EXPECT_EQ(param(form, "ide0"), std::nullopt);
    EXPECT_TRUE(said("no VirtIO driver ISO")) << "the job must say the VM has no driver ISO";
}

TEST_F(ProxmoxGuestCreateTest, MakeTemplateConvertsTheNewVm)
{
    inventory();
    // The refresh, then makeTemplate's lookup, which sees the new VM.
    fake->on("GET", "/cluster/resources",
             {FakeHttpTransport::ok(resources()),
              FakeHttpTransport::ok(resources(
                  R"({"id":"qemu/9302","type":"qemu","vmid":9302,"node":"pve2","name":"tmpl-01","status":"stopped","template":0})"))});
    answersTask("POST", "/nodes/pve2/qemu", "pve2", "qmcreate", 9302, 1);
    answersTask("POST", "/nodes/pve2/qemu/9302/template", "pve2", "qmtemplate", 9302, 2);
    fake->on("GET", "/nodes/pve2/qemu/9302/config", {FakeHttpTransport::ok(R"({"name":"tmpl-01","template":1})")});
    core::MachineSpec spec;
    set(spec, "iso", "ubuntu-24.04-live-server-amd64.iso");
    setFlag(spec, "make_template", true);
    spec.backend.values["vmid"] = core::SpecValue{uint32_t{9302}, "u"};
    auto facts = qemu->create("tmpl-01", spec, false, ctx);
    ASSERT_TRUE(facts) << facts.error().message;
    EXPECT_EQ(requestsTo("POST", "/nodes/pve2/qemu/9302/template").size(), 1u);
    ASSERT_TRUE(facts->state.has_value());
    EXPECT_EQ(*facts->state, MachineState::Template);
    EXPECT_EQ(requestsTo("DELETE", "/nodes/pve2/qemu/9302").size(), 0u);
}

// ---- validate / validateCreate ----

TEST_F(ProxmoxGuestCreateTest, ValidateCreateNeedsATemplateOrAnIso)
{
    core::MachineSpec spec;
    auto l = lxc->validateCreate(spec);
    ASSERT_FALSE(l);
    EXPECT_EQ(l.error().code, ErrorCode::InvalidArgs);
    EXPECT_NE(l.error().message.find("ostemplate"), std::string::npos) << l.error().message;
    auto q = qemu->validateCreate(spec);
    ASSERT_FALSE(q);
    EXPECT_EQ(q.error().code, ErrorCode::InvalidArgs);
    EXPECT_NE(q.error().message.find("'iso'"), std::string::npos) << q.error().message;
    EXPECT_TRUE(fake->requests().empty()) << "no I/O in validation";
}

TEST_F(ProxmoxGuestCreateTest, ValidateCreateWithARefreshedViewKnowsMissingImages)
{
    core::MachineSpec spec;
    set(spec, "iso", "nowhere.iso");
    // Before any refresh nothing is known: accepted.
    EXPECT_TRUE(qemu->validateCreate(spec));
    inventory();
    ASSERT_TRUE(cluster->refresh());
    const size_t sent = fake->requests().size();
    auto r = qemu->validateCreate(spec);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::NoSuchImage);
    EXPECT_NE(r.error().message.find("nowhere.iso"), std::string::npos) << r.error().message;
    set(spec, "iso", "debian-12.iso");
    EXPECT_TRUE(qemu->validateCreate(spec));
    set(spec, "node", "pve2");
    auto elsewhere = qemu->validateCreate(spec);
    ASSERT_FALSE(elsewhere);
    EXPECT_EQ(elsewhere.error().code, ErrorCode::NoSuchImage);
    set(spec, "node", "pve9");
    auto noNode = qemu->validateCreate(spec);
    ASSERT_FALSE(noNode);
    EXPECT_EQ(noNode.error().code, ErrorCode::InvalidArgs);

    core::MachineSpec ct;
    set(ct, "ostemplate", "alpine-3.20-default_20240908_amd64.tar.xz");
    auto t = lxc->validateCreate(ct);
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, ErrorCode::NoSuchImage);
    set(ct, "ostemplate", kTemplate);
    EXPECT_TRUE(lxc->validateCreate(ct));
    EXPECT_EQ(fake->requests().size(), sent) << "validation reads the view, not the cluster";
}

TEST_F(ProxmoxGuestCreateTest, ValidateRefusesKeysThatMeanNothingOnProxmox)
{
    auto refused = [](const GuestDriver& d, const core::MachineSpec& s, const std::string& key) {
        auto r = d.validate(s);
        ASSERT_FALSE(r) << d.id() << " accepted " << key;
        EXPECT_EQ(r.error().code, ErrorCode::InvalidArgs);
        EXPECT_NE(r.error().message.find("'" + key + "'"), std::string::npos) << r.error().message;
        auto c = d.validateCreate(s);
        ASSERT_FALSE(c) << d.id() << " accepted " << key << " at create";
        EXPECT_EQ(c.error().code, ErrorCode::InvalidArgs);
    };
    for (const GuestDriver* d : {lxc.get(), qemu.get()}) {
        core::MachineSpec ports;
        ports.ports = std::vector<core::PortForward>{{"tcp", 8080, 80}};
        refused(*d, ports, "ports");
        core::MachineSpec tunnel;
        tunnel.tunnel = std::map<std::string, std::string>{{"remote", "192.0.2.1"}};
        refused(*d, tunnel, "tunnel");
        core::MachineSpec distro;
        distro.distro = "debian";
        refused(*d, distro, "distro");
        // Refused rather than dropped from net0 (a VM refuses it as a
        // network key, a container for want of an ipv6).
        core::MachineSpec gateway6;
        gateway6.gateway6 = "2001:db8::1";
        refused(*d, gateway6, "gateway6");
    }
}

TEST_F(ProxmoxGuestCreateTest, VmsHaveTheirOwnMemoryRange)
{
    const core::Limits configured;  // containers: up to 8 GiB
    const core::Limits vm = qemu->specLimits(configured);
    EXPECT_EQ(vm.memoryMax, 64 * kGiB);
    EXPECT_EQ(vm.memoryMin, 512ull << 20);
    EXPECT_EQ(vm.memoryKey, "[Limits] VMMemory");
    EXPECT_EQ(vm.diskKey, "[Limits] VMDisk");
    EXPECT_EQ(lxc->specLimits(configured).memoryMax, configured.memoryMax);

    core::SpecMap raw{{"memory_max", core::SpecValue{uint64_t{64 * kGiB}, "t"}}};
    EXPECT_FALSE(core::parseSpec(raw, configured, qemuSpecKeys(), "proxmox-qemu"));
    auto parsed = core::parseSpec(raw, vm, qemuSpecKeys(), "proxmox-qemu");
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_TRUE(qemu->validate(*parsed));

    core::MachineSpec tooMuch;
    tooMuch.memoryMax = 64 * kGiB + (1ull << 20);
    auto r = qemu->validate(tooMuch);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("VMMemory"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace zenith::drivers::proxmox
