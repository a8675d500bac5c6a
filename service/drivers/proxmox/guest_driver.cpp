#include "drivers/proxmox/guest_driver.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/inet.h"
#include "core/log.h"
#include "core/names.h"
#include "core/text_quote.h"
#include "drivers/proxmox/client/task_status.h"
#include "drivers/proxmox/client/upid.h"
#include "drivers/proxmox/guest_images.h"
#include "drivers/proxmox/spec_keys.h"

namespace zenith::drivers::proxmox {

using core::ErrorCode;
using core::MachineSpec;
using core::Result;

std::unique_ptr<Driver> makeGuestDriver(GuestDriverOptions options, std::shared_ptr<ClusterSet> clusters)
{
    return std::make_unique<GuestDriver>(std::move(options), std::move(clusters));
}

GuestDriver::GuestDriver(GuestDriverOptions options, std::shared_ptr<ClusterSet> clusters)
    : options_(std::move(options)), clusters_(std::move(clusters)), sleep_(options_.sleep)
{
    if (!sleep_)
        sleep_ = sleepUnlessStopped;
}

GuestDriver::~GuestDriver() { setInventoryListener(nullptr); }

std::string_view GuestDriver::id() const { return type() == GuestType::Lxc ? "proxmox-lxc" : "proxmox-qemu"; }
std::string_view GuestDriver::kind() const { return type() == GuestType::Lxc ? "container" : "vm"; }
core::SpecKeyRules GuestDriver::specKeys() const { return type() == GuestType::Lxc ? lxcSpecKeys() : qemuSpecKeys(); }

core::Limits GuestDriver::specLimits(const core::Limits& configured) const
{
    if (type() == GuestType::Lxc)
        return configured;
    core::Limits l = configured;
    l.memoryMin = options_.vmLimits.memoryMin;
    l.memoryMax = options_.vmLimits.memoryMax;
    l.diskMin = options_.vmLimits.diskMin;
    l.diskMax = options_.vmLimits.diskMax;
    l.memoryKey = "[Limits] VMMemory";
    l.diskKey = "[Limits] VMDisk";
    return l;
}

namespace {

// Keys of the common spec that mean nothing on a Proxmox guest: refused by
// name rather than silently ignored.
Result<void> refuseUnused(std::string_view backend, const MachineSpec& s, bool lxc)
{
    auto refuse = [&](std::string_view key, std::string_view why) {
        return core::fail(ErrorCode::InvalidArgs,
                          fmt::format("spec key '{}' is not used by backend {}: {}", key, backend, why));
    };
    if (s.distro || s.release || s.arch)
        return refuse(s.distro ? "distro" : s.release ? "release" : "arch",
                      lxc ? "the container template (ostemplate, or the clone's source) decides"
                          : "the ISO decides (iso, os_type)");
    if (s.templateName)
        return refuse("template", "clone a template with CloneMachine instead");
    if (s.ipv6Mode && *s.ipv6Mode != "none" && *s.ipv6Mode != "native")
        return refuse("ipv6_mode", "only native IPv6 (ipv6 = addr/len) is set on Proxmox guests");
    if (s.tunnel)
        return refuse("tunnel", "tunnels are an nspawn feature");
    if (s.wireguardConfig)
        return refuse("wireguard_config", "WireGuard is an nspawn feature");
    if (s.ports && !s.ports->empty())
        return refuse("ports", "port forwards are an nspawn feature");
    if (s.ssh)
        return refuse("ssh", "the template decides whether an SSH server runs");
    if (!lxc) {
        if (s.password || s.passwordHash || s.sshAuthorizedKeys)
            return refuse(s.password ? "password" : s.passwordHash ? "password_hash" : "ssh_authorized_keys",
                          "a VM is installed from its ISO at the console");
        if (s.swapMax)
            return refuse("swap_max", "a VM's swap is its guest's business");
        if (s.cpuQuota)
            return refuse("cpu_quota", "give VMs cores");
        if (s.ipv4 || s.gateway || s.dns || s.ipv6 || s.gateway6)
            return refuse(s.ipv4 ? "ipv4" : s.gateway ? "gateway" : s.dns ? "dns" : s.ipv6 ? "ipv6" : "gateway6",
                          "a VM from an ISO sets its address in its installer");
    }
    if (s.gateway6 && !s.ipv6)
        return core::fail(ErrorCode::InvalidArgs, "spec key 'gateway6' needs ipv6 (net0 takes an IPv6 gateway only "
                                                  "with a static IPv6 address)");
    if (s.passwordHash)
        return refuse("password_hash", "Proxmox takes a plain password (password) and hashes it itself");
    return {};
}

}  // namespace

Result<void> GuestDriver::validate(const MachineSpec& spec) const
{
    const bool lxc = type() == GuestType::Lxc;
    if (auto r = refuseUnused(id(), spec, lxc); !r)
        return r;
    // A password or keys go in when a container is made from a template
    // file; a clone has its source's, and the API cannot change them.
    if (lxc && (spec.password || spec.sshAuthorizedKeys))
        return core::fail(ErrorCode::InvalidArgs,
                          fmt::format("spec key '{}' is set only when a container is created from an ostemplate; a "
                                      "clone keeps its source's",
                                      spec.password ? "password" : "ssh_authorized_keys"));
    return checkCommon(spec);
}

Result<void> GuestDriver::checkCommon(const MachineSpec& spec) const
{
    auto c = clusterFor(spec);
    if (!c)
        return std::unexpected(c.error());
    if (auto node = spec.backend.text("node")) {
        auto view = (*c)->view();
        if (view->valid) {
            bool known = false;
            std::string nodes;
            for (const auto& n : view->resources.nodes) {
                known = known || n.node == *node;
                nodes += (nodes.empty() ? "" : ", ") + n.node;
            }
            if (!known)
                return core::fail(ErrorCode::InvalidArgs,
                                  fmt::format("spec key 'node': cluster {} has no node {} (nodes: {})", (*c)->name(),
                                              core::quoteForMessage(*node), nodes));
        }
    }
    if (type() == GuestType::Qemu)
        return checkQemuRanges(spec, options_.vmLimits);
    return {};
}

Result<void> GuestDriver::validateCreate(const MachineSpec& spec) const
{
    const bool lxc = type() == GuestType::Lxc;
    if (auto r = refuseUnused(id(), spec, lxc); !r)
        return r;
    if (auto r = checkCommon(spec); !r)
        return r;
    auto c = clusterFor(spec);
    const std::string key = lxc ? "ostemplate" : "iso";
    auto ref = spec.backend.text(key);
    if (!ref)
        return core::fail(ErrorCode::InvalidArgs,
                          lxc ? "spec key 'ostemplate' is required to create a proxmox-lxc container (a container "
                                "template such as local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst); to copy a "
                                "golden template use CloneMachine"
                              : "spec key 'iso' is required to create a proxmox-qemu VM (a volid such as "
                                "local:iso/debian-12.iso, or a file name found on any node)");
    // Known before any job when the cluster has been read: a missing image
    // is NoSuchImage at once.
    auto view = (*c)->view();
    if (view->valid) {
        auto found = findVolume(key, *ref, lxc ? view->templates : view->isos, spec.backend.text("node"));
        if (!found)
            return std::unexpected(found.error());
    }
    return {};
}

std::string GuestDriver::addressPool() const
{
    auto c = clusters_->pick({});
    return c ? (*c)->options().pool : std::string();
}

std::string GuestDriver::bridgeFor(const MachineSpec& spec) const
{
    if (spec.bridge)
        return *spec.bridge;
    auto c = clusterFor(spec);
    return c ? (*c)->options().bridge : std::string();
}

std::vector<core::ResourceLock> GuestDriver::locksFor(const core::Request& req) const
{
    std::vector<core::ResourceLock> locks;
    auto c = clusterFor(req.spec);
    const std::string cluster = c ? (*c)->name() : std::string();
    // An explicit vmid of a new guest: two jobs of this daemon never race
    // for it (the cluster's own check catches anyone else).
    if (auto id = req.spec.backend.number("vmid"); id && (req.operationName() == "create" || req.operationName() == "clone"))
        locks.push_back({fmt::format("vmid:{}/{}", cluster, *id), core::LockMode::Exclusive,
                         fmt::format("vmid {} of cluster {}", *id, cluster)});
    // Proxmox locks a container template for the length of each clone
    // (`CT is locked (disk)`): clones of one source run one after another.
    if (type() == GuestType::Lxc && req.operationName() == "clone")
        locks.push_back({"clone-source:" + req.source, core::LockMode::Serial,
                         fmt::format("clones of '{}'", req.source)});
    return locks;
}

std::string GuestDriver::plan(const std::string& name, const MachineSpec& spec) const
{
    auto c = clusterFor(spec);
    std::string out = fmt::format("backend {} on cluster {}\n", id(), c ? (*c)->name() : std::string("?"));
    auto line = [&](std::string_view what, const std::string& value) { out += fmt::format("  {}: {}\n", what, value); };
    line(type() == GuestType::Lxc ? "hostname" : "name", name);
    if (auto n = spec.backend.text("node"))
        line("node", *n);
    if (auto v = spec.backend.number("vmid"))
        line("vmid", std::to_string(*v));
    else
        line("vmid", "the cluster's next free id");
    for (const char* key : {"ostemplate", "iso", "os_type", "storage"})
        if (auto v = spec.backend.text(key))
            line(key, core::toSingleLine(*v, 200));
    if (spec.cores)
        line("cores", std::to_string(*spec.cores));
    if (spec.memoryMax)
        line("memory", fmt::format("{} MiB", *spec.memoryMax >> 20));
    if (spec.diskMax)
        line("disk", fmt::format("{} GiB", (*spec.diskMax + (1ull << 30) - 1) >> 30));
    if (spec.ipv4)
        line("ipv4", *spec.ipv4);
    if (spec.backend.has("last_octet"))
        line("last_octet", std::to_string(*spec.backend.number("last_octet")));
    line("bridge", bridgeFor(spec));
    return out;
}

std::string GuestDriver::guestPath(const std::string& node, uint32_t vmid) const
{
    return fmt::format("/nodes/{}/{}/{}", percentEncode(node), typePath(), vmid);
}

Result<Cluster*> GuestDriver::clusterFor(const MachineSpec& spec) const
{
    return clusters_->pick(spec.backend.text("cluster").value_or(""));
}

Result<Cluster*> GuestDriver::clusterOf(const core::MachineRecord& m) const
{
    if (Cluster* c = clusters_->find(m.location))
        return c;
    return core::fail(ErrorCode::BackendUnavailable,
                      fmt::format("machine {} is on Proxmox cluster {}, which is no longer configured", m.name,
                                  core::quoteForMessage(m.location)));
}

Result<ClusterGuest> GuestDriver::locateGuest(Cluster& c, const core::MachineRecord& m, std::stop_token stop)
{
    auto g = c.locate(m.vmid, stop);
    if (!g)
        return std::unexpected(g.error());
    if (!*g || (*g)->type != typePath())
        return core::fail(ErrorCode::NoSuchMachine,
                          fmt::format("{} {} of machine {} is no longer on cluster {}", noun(), m.vmid, m.name,
                                      c.name()));
    // Proxmox hands freed ids out again: a guest under another name now
    // holding the machine's vmid is someone else's. (A machine listed from
    // the cluster under a name of our making, ct-CLUSTER-VMID, is matched by
    // its id alone; a guest just made may not show its name yet.)
    const std::string ownName = fmt::format("{}-{}-{}", type() == GuestType::Lxc ? "ct" : "vm", c.name(), m.vmid);
    if (!(*g)->name.empty() && (*g)->name != m.name && m.name != ownName)
        return core::fail(ErrorCode::NoSuchMachine,
                          fmt::format("{} {} of machine {} is gone from cluster {}: that vmid now belongs to {}",
                                      noun(), m.vmid, m.name, c.name(), core::quoteForMessage((*g)->name)));
    return **g;
}

Result<TaskResult> GuestDriver::followTask(Cluster& c, const nlohmann::json& reply, JobContext& ctx,
                                           const std::string& step, double from, double to)
{
    if (!reply.is_string())
        return core::fail(ErrorCode::BackendFailed,
                          fmt::format("cluster {}: {} answered without a task id", c.name(), step));
    auto upid = parseUpid(reply.get<std::string>());
    if (!upid)
        return std::unexpected(upid.error());
    ctx.checkpoint("upid", upid->text);
    TaskWait how;
    how.step = step;
    how.progressFrom = from;
    how.progressTo = to;
    how.timeout = c.options().taskTimeout;
    how.sleep = sleep_;
    auto r = waitForTask(c.api(), *upid, ctx, how);
    if (r)
        reportWarnings(ctx, step, *r, to);
    return r;
}

void GuestDriver::reportWarnings(JobContext& ctx, const std::string& step, const TaskResult& r, double at)
{
    if (r.warnings == 0)
        return;
    std::string text = fmt::format("{} ended with {} warning(s)", step, r.warnings);
    for (const auto& w : r.warningLines)
        text += "; " + w;
    ctx.progress(at, step, core::toSingleLine(text, 1000));
}

Result<uint32_t> GuestDriver::nextVmid(Cluster& c, std::stop_token stop)
{
    auto data = c.api().get("/cluster/nextid", {}, stop);
    if (!data)
        return std::unexpected(data.error());
    // Sent as a string ("100") by the real server; a number is read too.
    uint64_t id = 0;
    if (data->is_string()) {
        const auto& s = data->get_ref<const std::string&>();
        if (!s.empty() && s.size() <= 9 && s.find_first_not_of("0123456789") == std::string::npos)
            id = std::stoull(s);
    } else if (data->is_number_unsigned()) {
        id = data->get<uint64_t>();
    }
    if (id < 100 || id > 999999999)
        return core::fail(ErrorCode::BackendFailed,
                          fmt::format("cluster {}: /cluster/nextid answered no valid vmid", c.name()));
    return static_cast<uint32_t>(id);
}

Result<uint32_t> GuestDriver::claimVmid(Cluster& c, std::optional<uint32_t> wanted, const std::string& node,
                                        JobContext& ctx)
{
    uint32_t vmid = 0;
    if (wanted) {
        vmid = *wanted;
    } else {
        auto next = nextVmid(c, ctx.stopToken());
        if (!next)
            return std::unexpected(next.error());
        vmid = *next;
    }
    // Before the call that makes the guest: a crash right after it still
    // leaves a record of what to look for (recovery removes the guest only
    // if its name says it is ours).
    ctx.checkpoint("cluster", c.name());
    ctx.checkpoint("vmid", std::to_string(vmid));
    ctx.checkpoint("node", node);
    return vmid;
}

MachineFacts GuestDriver::madeFacts(const Cluster& c, const std::string& node, uint32_t vmid,
                                    const MachineSpec& spec) const
{
    MachineFacts facts;
    facts.node = node;
    facts.vmid = vmid;
    facts.location = c.name();
    if (spec.ipv4)
        if (auto p = core::parseIpv4Prefix(*spec.ipv4))
            facts.addresses.push_back(core::formatIpv4(p->address));
    return facts;
}

Result<GuestDriver::Located> GuestDriver::locate(const core::MachineRecord& m, std::stop_token stop)
{
    auto c = clusterOf(m);
    if (!c)
        return std::unexpected(c.error());
    auto g = locateGuest(**c, m, stop);
    if (!g)
        return std::unexpected(g.error());
    return Located{*c, std::move(*g)};
}

namespace {

constexpr unsigned kRollbackAttempts = 15;

// A JobContext for work done outside any job (rollbacks after a crash).
class SilentJob final : public JobContext {
public:
    void progress(double, std::string_view, std::string_view) override {}
    bool cancelRequested() const override { return false; }
    std::stop_token stopToken() const override { return {}; }
    void setCancelable(bool) override {}
    void checkpoint(std::string_view, std::string_view) override {}
};

}  // namespace

Result<bool> GuestDriver::lostCallMadeIt(Cluster& c, const std::string& node, uint32_t vmid, const std::string& name,
                                         JobContext& ctx)
{
    const char* nameKey = type() == GuestType::Lxc ? "hostname" : "name";
    const auto deadline = std::chrono::steady_clock::now() + c.options().taskTimeout;
    for (unsigned poll = 0;; ++poll) {
        auto config = c.api().get(guestPath(node, vmid) + "/config", {}, ctx.stopToken());
        if (!config)
            return config.error().code == ErrorCode::NoSuchMachine ? Result<bool>(false)
                                                                    : std::unexpected(config.error());
        if (!config->is_object() || !config->contains(nameKey) || (*config)[nameKey] != name)
            return false;
        if (!config->contains("lock"))
            return true;
        if (std::chrono::steady_clock::now() > deadline)
            return core::fail(ErrorCode::BackendFailed,
                              fmt::format("{} {} stayed locked ({}) for {} s", noun(), vmid,
                                          core::toSingleLine((*config)["lock"].dump(), 40),
                                          c.options().taskTimeout.count()));
        if (!sleep_(taskPollDelay(poll), ctx.stopToken()))
            return core::fail(ErrorCode::Cancelled, "cancelled");
    }
}

void GuestDriver::awaitTask(Cluster& c, const std::string& upidText)
{
    auto upid = parseUpid(upidText);
    if (!upid)
        return;
    SilentJob quiet;
    TaskWait how;
    how.step = "wait";
    how.timeout = c.options().taskTimeout;
    how.sleep = sleep_;
    (void)waitForTask(c.api(), *upid, quiet, how);
}

void GuestDriver::removeMadeGuest(Cluster& c, const std::string& node, uint32_t vmid, const std::string& name)
{
    const log::Context lc{.machine = name};
    // Only a guest that is ours: its config names the machine. A vmid
    // someone else took meanwhile (our create failed with "already exists")
    // is left alone.
    auto config = c.api().get(guestPath(node, vmid) + "/config");
    if (!config) {
        if (config.error().code != ErrorCode::NoSuchMachine)
            log::info(lc, "rollback: {} {} on {}: {}", noun(), vmid, node, config.error().message);
        return;
    }
    const char* nameKey = type() == GuestType::Lxc ? "hostname" : "name";
    if (!config->is_object() || !config->contains(nameKey) || (*config)[nameKey] != name) {
        log::warning(lc, "rollback: {} {} on {} is not {}: left alone", noun(), vmid, node, name);
        return;
    }
    SilentJob quiet;
    if (auto stopped = c.api().post(guestPath(node, vmid) + "/status/stop"); stopped)
        (void)followTask(c, *stopped, quiet, "stop", 0, 1);
    Params params{{"purge", "1"}, {"destroy-unreferenced-disks", "1"}};
    if (type() == GuestType::Lxc)
        params.emplace_back("force", "1");
    // A task still holding the guest (the clone that made it, a lock
    // timing out) lets go within seconds: wait for it, bounded.
    auto del = c.api().del(guestPath(node, vmid), params);
    for (unsigned attempt = 1; !del && del.error().code == ErrorCode::Busy && attempt < kRollbackAttempts; ++attempt) {
        sleep_(std::chrono::seconds(1), {});
        del = c.api().del(guestPath(node, vmid), params);
    }
    std::optional<core::Error> failed;
    if (!del)
        failed = del.error();
    else if (auto t = followTask(c, *del, quiet, "destroy", 0, 1); !t)
        failed = t.error();
    if (failed)
        log::error(lc, "rollback: cannot remove {} {} on {}: {}", noun(), vmid, node, failed->message);
    else
        log::info(lc, "rollback: removed {} {} on {}", noun(), vmid, node);
}

Result<void> GuestDriver::startGuest(Cluster& c, const std::string& node, uint32_t vmid, JobContext& ctx, double from,
                                     double to)
{
    ctx.progress(from, "start", fmt::format("starting {} {} on {}", noun(), vmid, node));
    auto upid = c.api().post(guestPath(node, vmid) + "/status/start", {}, ctx.stopToken());
    if (!upid)
        return std::unexpected(upid.error());
    auto t = followTask(c, *upid, ctx, "start", from, to);
    if (!t)
        return std::unexpected(t.error());
    return {};
}

Result<std::vector<ImageInfo>> GuestDriver::images()
{
    std::vector<ImageInfo> out;
    for (const auto& c : clusters_->all()) {
        auto view = c->view();
        for (const auto& v : type() == GuestType::Lxc ? view->templates : view->isos)
            out.push_back({v.volid, type() == GuestType::Lxc ? "vztmpl" : "iso",
                           fmt::format("{}/{}", c->name(), v.node), v.size});
    }
    return out;
}

void GuestDriver::setInventoryListener(Listener listener)
{
    std::lock_guard lock(listenerMu_);
    if (listenerId_) {
        clusters_->removeListener(listenerId_);
        listenerId_ = 0;
    }
    if (!listener)
        return;
    auto report = [this, listener = std::move(listener)](const Cluster& c, const ClusterView& view) {
        std::vector<RemoteGuest> guests;
        for (const auto& g : view.resources.guests) {
            if (g.type != typePath())
                continue;
            RemoteGuest r;
            r.location = c.name();
            r.node = g.node;
            r.vmid = g.vmid;
            r.name = g.name;
            r.state = guestState(g);
            r.cores = g.cpus;
            r.memoryMax = g.maxmem;
            guests.push_back(std::move(r));
        }
        listener(c.name(), view.readStarted, guests);
    };
    // What is known already, then every refresh.
    for (const auto& c : clusters_->all())
        if (auto view = c->view(); view->valid)
            report(*c, *view);
    listenerId_ = clusters_->addListener(std::move(report));
    clusters_->start();
}

std::optional<core::MachineState> guestState(const ClusterGuest& g)
{
    using core::MachineState;
    if (g.isTemplate)
        return MachineState::Template;
    if (g.status == "running")
        return MachineState::Running;
    if (g.status == "stopped")
        return MachineState::Stopped;
    return std::nullopt;  // unknown: its node is offline
}

}  // namespace zenith::drivers::proxmox
