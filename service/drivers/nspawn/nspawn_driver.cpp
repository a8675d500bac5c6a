#include "drivers/nspawn/nspawn_driver.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <filesystem>
#include <mutex>
#include <set>

#include <fmt/format.h>

#include "core/log.h"
#include "drivers/nspawn/base_image_cache.h"
#include "drivers/nspawn/distro_catalog.h"
#include "drivers/nspawn/host_link.h"
#include "drivers/nspawn/machine_config.h"
#include "drivers/nspawn/nspawn_command.h"
#include "drivers/nspawn/nspawn_spec.h"
#include "drivers/nspawn/root_password.h"
#include "drivers/nspawn/rootfs_clone.h"
#include "drivers/nspawn/rootfs_files.h"
#include "drivers/nspawn/ssh_host_keys.h"
#include "drivers/nspawn/uid_range.h"
#include "net/host_links.h"

namespace zenith::drivers::nspawn {

namespace fs = std::filesystem;
using core::ErrorCode;
using namespace std::chrono_literals;

namespace {

// Where each step's share of a create ends. Building a base image is by far
// the longest step, so it gets most of the bar.
constexpr double kArchDone = 0.02;
constexpr double kImageDone = 0.85;
constexpr double kCloneDone = 0.90;
constexpr double kConfigureDone = 0.94;

bool exists(const std::string& p)
{
    std::error_code ec;
    return fs::exists(fs::symlink_status(p, ec));
}

std::string addressOf(const std::string& cidr)
{
    return cidr.substr(0, cidr.find('/'));
}

// The Addresses a machine shows: IPv4 first, then IPv6.
std::vector<std::string> addressesOf(const core::MachineSpec& spec)
{
    std::vector<std::string> out;
    for (const auto& a : {spec.ipv4, spec.ipv6})
        if (a)
            out.push_back(addressOf(*a));
    return out;
}

// The 6in4 tunnel a spec asks for (validateNspawnSpec checked it): from the
// machine's own address unless tunnel.local names another, its IPv6
// address /64 when given bare.
std::optional<SixInFour> sixInFourOf(const core::MachineSpec& spec)
{
    if (!spec.ipv6Mode || *spec.ipv6Mode != "6in4" || !spec.tunnel || !spec.ipv4)
        return std::nullopt;
    const auto& t = *spec.tunnel;
    auto value = [&](const char* key) {
        auto it = t.find(key);
        return it == t.end() ? std::string() : it->second;
    };
    SixInFour out{value("local"), value("remote"), value("address")};
    if (out.local.empty())
        out.local = spec.ipv4->substr(0, spec.ipv4->find('/'));
    if (out.address.find('/') == std::string::npos)
        out.address += "/64";
    return out;
}

class NspawnDriver final : public Driver, public ImageCatalog {
public:
    NspawnDriver(NspawnOptions options, std::shared_ptr<MachineRunner> runner)
        : o_(std::move(options)),
          runner_(std::move(runner)),
          images_((fs::path(o_.stateDir) / "images").string()),
          hostArch_(hostArch()),
          foreignArchs_(foreignArchitectures(hostArch_)),
          uids_(settingsDir())
    {
        images_.removeStaleBuilds();
        removeStaleHostKeyDirs(keyWorkDir());
        runner_->setExitListener([this](const std::string& name) {
            StateListener l;
            {
                std::lock_guard lock(listenerMutex_);
                l = listener_;
            }
            if (l)
                l(name, core::MachineState::Stopped);
        });
    }

    std::string_view id() const override { return "nspawn"; }
    std::string_view kind() const override { return "container"; }

    core::Result<void> validate(const core::MachineSpec& spec) const override
    {
        // The host's listening ports are read only when ports are asked for
        // (a few small /proc reads).
        if (auto r = validateNspawnSpec(spec, o_, hostArch_, spec.ports ? hostListeningPorts() : ListeningPorts{},
                                        foreignArchs_);
            !r)
            return r;
        // A limit is enforced or refused, never recorded and ignored.
        const LimitSupport can = runner_->limitSupport();
        if (spec.cpuQuota && !can.cpuQuota)
            return core::fail(ErrorCode::InvalidArgs,
                              "cpu_quota: this host cannot enforce it (no cpu cgroup controller for the daemon)");
        if (spec.memoryMax && !can.memoryMax)
            return core::fail(ErrorCode::InvalidArgs,
                              "memory_max: this host cannot enforce it (no memory cgroup controller for the daemon)");
        return {};
    }

    std::string bridgeFor(const core::MachineSpec& spec) const override { return effectiveBridge(spec, o_); }
    std::string addressPool() const override { return o_.pool; }
    bool hostForwards() const override { return true; }

    std::string plan(const std::string& name, const core::MachineSpec& spec) const override
    {
        auto key = imageKeyFor(spec, hostArch_);
        std::string out = fmt::format("create nspawn container {} ({} {} {})\n", name, key.distro, key.release, key.arch);
        if (spec.templateName) {
            out += fmt::format("- source: template {}\n", machinePath(*spec.templateName));
        } else if (images_.has(key)) {
            out += fmt::format("- base image: {} (cached)\n", images_.pathFor(key));
        } else {
            auto mirror = mirrorFor(key, o_);
            out += fmt::format("- base image: {} built with debootstrap from {}\n", images_.pathFor(key),
                               mirror ? *mirror : "(no mirror: " + mirror.error().message + ")");
        }
        bool btrfs = isBtrfs(o_.machinesDir);
        out += fmt::format("- rootfs: {} ({})\n", machinePath(name), btrfs ? "btrfs snapshot" : "copy");
        std::string bridge = effectiveBridge(spec, o_);
        out += fmt::format("- settings: {} (network: {})\n", settingsPath(name),
                           bridge.empty() ? "private, none" : "veth on bridge " + bridge);
        out += fmt::format("- identity: hostname {}, fresh machine-id{}{}\n", name,
                           spec.password || spec.passwordHash ? ", root password set (hashed)" : "",
                           spec.sshAuthorizedKeys ? ", root's authorized_keys" : "");
        if (spec.ipv4)
            out += fmt::format("- address: {}\n", addressPlan(*spec.ipv4, spec));
        if (spec.ipv6)
            out += fmt::format("- IPv6 address: {}\n", addressPlan(*spec.ipv6, spec));
        if (spec.cpuQuota || spec.memoryMax)
            out += fmt::format("- limits: cpu {}%, memory {} bytes (the machine's cgroup)\n",
                               spec.cpuQuota.value_or(0), spec.memoryMax.value_or(0));
        return out;
    }

    core::Result<MachineFacts> create(const NewMachine& m, const core::MachineSpec& spec, bool start,
                                      JobContext& ctx) override
    {
        const std::string& name = m.name;
        if (auto r = validate(spec); !r)
            return std::unexpected(r.error());
        if (auto r = checkFree(name); !r)
            return std::unexpected(r.error());
        auto key = imageKeyFor(spec, hostArch_);

        ctx.progress(0.01, "architecture", fmt::format("{} {} for {}", key.distro, key.release, key.arch));
        auto prepared = prepareIdentity(name, spec);
        if (!prepared)
            return std::unexpected(prepared.error());
        if (auto r = checkSshKeygen(); !r)
            return std::unexpected(r.error());
        if (ctx.cancelRequested())
            return cancelled(name);
        ctx.progress(kArchDone, "architecture", fmt::format("host architecture {}", hostArch_));

        std::string source;
        if (spec.templateName) {
            source = machinePath(*spec.templateName);
            if (!exists(templateMarker(*spec.templateName)) || !exists(source))
                return core::fail(ErrorCode::NoSuchImage, fmt::format("template: no template named {}", *spec.templateName));
            ctx.progress(kImageDone, "base-image", "using template " + *spec.templateName);
        } else {
            auto mirror = mirrorFor(key, o_);
            if (!mirror)
                return std::unexpected(mirror.error());
            // Never an unverified bootstrap: no keyring, no debootstrap.
            const auto keyring = archiveKeyring(key.distro);
            if (!exists(keyring.path))
                return core::fail(ErrorCode::BackendUnavailable,
                                  fmt::format("{} images need the archive keyring {}: install the {} package",
                                              key.distro, keyring.path, keyring.package));
            bool cached = images_.has(key);
            ctx.progress(kArchDone, "base-image",
                         cached ? "using cached image " + key.id() : "building " + key.id() + " from " + *mirror);
            auto image = images_.ensure(
                key, *mirror, keyring.path,
                [&](double f, std::string_view msg) {
                    ctx.progress(kArchDone + (kImageDone - kArchDone) * f, "base-image", msg);
                },
                ctx.stopToken());
            if (!image)
                return image.error().code == ErrorCode::Cancelled ? cancelled(name) : std::unexpected(image.error());
            source = *image;
            ctx.progress(kImageDone, "base-image", "base image " + key.id() + " ready");
        }
        if (ctx.cancelRequested())
            return cancelled(name);

        MachineFacts facts{key.distro, key.release, key.arch, {}, {}, 0, machinePath(name)};
        facts.addresses = addressesOf(spec);
        if (auto r = cloneConfigureStart(m, source, spec, *prepared, start, ctx, facts); !r)
            return std::unexpected(r.error());
        return facts;
    }

    core::Result<MachineFacts> clone(const core::MachineRecord& src, const NewMachine& target,
                                     const core::MachineSpec& merged, bool start, JobContext& ctx) override
    {
        const std::string& newName = target.name;
        if (auto r = validate(merged); !r)
            return std::unexpected(r.error());
        if (auto r = checkFree(newName); !r)
            return std::unexpected(r.error());
        std::string source = rootfsOf(src);
        if (!exists(source))
            return core::fail(ErrorCode::NoSuchMachine, fmt::format("the tree of {} ({}) is missing", src.name, source));
        if (runner_->isRunning(targetOf(src)))
            return core::fail(ErrorCode::Busy, fmt::format("{} is running; stop it before cloning", src.name));
        auto prepared = prepareIdentity(newName, merged);
        if (!prepared)
            return std::unexpected(prepared.error());
        if (auto r = checkSshKeygen(); !r)
            return std::unexpected(r.error());
        if (ctx.cancelRequested())
            return cancelled(newName);
        ctx.progress(kImageDone, "clone", fmt::format("cloning {}", src.name));

        MachineFacts facts{src.distro, src.release, src.arch, {}, {}, 0, machinePath(newName)};
        facts.addresses = addressesOf(merged);
        // A clone gets a range and host keys of its own: never the source's.
        if (auto r = cloneConfigureStart(target, source, merged, *prepared, start, ctx, facts); !r)
            return std::unexpected(r.error());
        return facts;
    }

    core::Result<void> start(const core::MachineRecord& m, JobContext& ctx) override
    {
        if (!exists(rootfsOf(m)))
            return core::fail(ErrorCode::NoSuchMachine, fmt::format("the tree of {} ({}) is missing", m.name, rootfsOf(m)));
        if (exists(templateMarker(m.name)))
            return core::fail(ErrorCode::InvalidArgs, fmt::format("name: {} is a template; clone it instead", m.name));
        // Trees made before user namespaces get a range now: every
        // container runs in one.
        auto shift = ensureUserNamespace(m.name);
        if (!shift)
            return std::unexpected(shift.error());
        if (auto r = moveLegacyNetworkdFile(rootfsOf(m)); !r)
            return r;
        ctx.progress(0.1, "start", "booting " + m.name);
        auto r = bootWithHostLink(*runner_, targetOf(m), ctx.stopToken(), o_.startTimeout);
        if (!r)
            return r;
        ctx.progress(1.0, "start", runningMessage(m.name, rootfsOf(m), *shift));
        return {};
    }

    core::Result<void> stop(const core::MachineRecord& m, bool force, JobContext& ctx) override
    {
        auto t = targetOf(m);
        if (!runner_->isRunning(t)) {
            ctx.progress(1.0, "stop", m.name + " is not running");
            return {};
        }
        ctx.progress(0.1, "stop", force ? "killing " + m.name : "powering off " + m.name);
        // Once the poweroff signal went out there is nothing to undo.
        ctx.setCancelable(false);
        if (auto r = runner_->stop(t, force ? 3s : o_.stopTimeout); !r)
            return r;
        ctx.progress(1.0, "stop", m.name + " stopped");
        return {};
    }

    core::Result<void> destroy(const core::MachineRecord& m, bool force, JobContext& ctx) override
    {
        auto t = targetOf(m);
        if (runner_->isRunning(t)) {
            if (!force)
                return core::fail(ErrorCode::Busy, fmt::format("{} is running; stop it or destroy with FORCE", m.name));
            ctx.setCancelable(false);
            // Its disk is deleted next: nothing in it needs a clean
            // shutdown, so it is killed, not powered off.
            ctx.progress(0.1, "stop", "killing " + m.name);
            if (auto r = runner_->kill(t); !r)
                return r;
        }
        ctx.setCancelable(false);
        ctx.progress(0.5, "destroy", "removing " + rootfsOf(m));
        if (auto r = removeMachineFiles(m.name, rootfsOf(m)); !r)
            return r;
        ctx.progress(1.0, "destroy", m.name + " destroyed");
        return {};
    }

    core::Result<void> makeTemplate(const core::MachineRecord& m, JobContext& ctx) override
    {
        std::string rootfs = rootfsOf(m);
        if (!exists(rootfs))
            return core::fail(ErrorCode::NoSuchMachine, fmt::format("the tree of {} ({}) is missing", m.name, rootfs));
        if (runner_->isRunning(targetOf(m)))
            return core::fail(ErrorCode::Busy, fmt::format("{} is running; stop it first", m.name));
        ctx.progress(0.3, "template", "marking " + m.name + " read-only");
        // Read-only on btrfs keeps anyone from booting and changing what
        // clones are made from; elsewhere the marker alone says so.
        if (isBtrfsSubvolume(rootfs))
            if (auto r = setSubvolumeReadOnly(rootfs, true); !r)
                return r;
        std::error_code ec;
        fs::create_directories(fs::path(templateMarker(m.name)).parent_path(), ec);
        if (auto r = writeMarker(m.name); !r)
            return r;
        // The marker keeps the template's size: it no longer changes.
        recordTreeSize(rootfs, templateMarker(m.name));
        ctx.progress(1.0, "template", m.name + " is a template");
        return {};
    }

    core::MachineState probe(const core::MachineRecord& m) override
    {
        if (!exists(rootfsOf(m)))
            return core::MachineState::Failed;
        if (exists(templateMarker(m.name)))
            return core::MachineState::Template;
        return runner_->isRunning(targetOf(m)) ? core::MachineState::Running : core::MachineState::Stopped;
    }

    void rollbackPartial(const core::MachineRecord& m) override
    {
        auto t = targetOf(m);
        if (runner_->isRunning(t))
            (void)runner_->stop(t, 3s);
        if (auto r = removeMachineFiles(m.name, rootfsOf(m)); !r)
            log::warning({.machine = m.name}, "rollback of {} incomplete: {}", m.name, r.error().message);
    }

    ImageCatalog* imageCatalog() override { return this; }

    core::Result<std::vector<ImageInfo>> images() override
    {
        std::vector<ImageInfo> out;
        for (const auto& img : images_.list())
            out.push_back({img.id, "base", img.path, img.size});
        std::error_code ec;
        for (fs::directory_iterator it(templatesDir(), ec), end; !ec && it != end; it.increment(ec)) {
            std::string name = it->path().filename().string();
            std::string path = machinePath(name);
            if (exists(path))
                out.push_back({name, "template", path, recordedTreeSize(path, templateMarker(name))});
        }
        return out;
    }

    void setStateListener(StateListener listener) override
    {
        std::lock_guard lock(listenerMutex_);
        listener_ = std::move(listener);
    }

private:
    struct PreparedIdentity {
        std::optional<std::string> passwordHash;
        std::optional<StaticNetwork> network;
        std::string bridge;
    };

    // "auto" is leased only when the job runs: a plan names the pool.
    std::string addressPlan(const std::string& address, const core::MachineSpec& spec) const
    {
        if (address != "auto")
            return address;
        return fmt::format("the next free one of pool {} (leased when the job runs), written into the "
                           "machine's systemd-networkd config",
                           spec.pool.value_or(o_.pool));
    }

    std::string keyWorkDir() const { return (fs::path(o_.stateDir) / "run").string(); }
    std::string machinePath(const std::string& name) const { return (fs::path(o_.machinesDir) / name).string(); }
    std::string settingsDir() const { return o_.settingsDir.empty() ? o_.machinesDir : o_.settingsDir; }
    std::string settingsPath(const std::string& name) const
    {
        return (fs::path(settingsDir()) / (name + ".nspawn")).string();
    }

    // The machine's range from its settings file; a file without one (a
    // machine made before user namespaces) gets one appended.
    core::Result<uint32_t> ensureUserNamespace(const std::string& name)
    {
        auto text = readFileInRoot(settingsDir(), name + ".nspawn");
        if (!text)
            return std::unexpected(text.error());
        if (!*text)
            return core::fail(ErrorCode::BackendFailed, fmt::format("{} is missing", settingsPath(name)));
        if (auto base = privateUsersBase(**text))
            return *base;
        auto base = uids_.reserve();
        if (!base)
            return std::unexpected(base.error());
        std::string updated = **text + fmt::format("\n[Exec]\nPrivateUsers={}:{}\n\n[Files]\nPrivateUsersOwnership={}\n",
                                                   *base, kUidRangeSize, o_.privateUsersOwnership);
        auto w = writeFileInRoot(settingsDir(), name + ".nspawn", updated, 0644);
        uids_.release(*base);
        if (!w)
            return std::unexpected(w.error());
        log::info({.machine = name}, "{} had no user namespace; it gets host uids {}-{}", name, *base,
                  *base + kUidRangeSize - 1);
        return *base;
    }

    // What the job says once the machine is up: whose uid its root is, and
    // how its files got that ownership (an idmapped mount changes nothing on
    // disk; without one systemd-nspawn chowned the whole tree at this boot).
    static std::string runningMessage(const std::string& name, const std::string& rootfs, uint32_t shift)
    {
        struct stat st {};
        const bool chowned = ::stat(rootfs.c_str(), &st) == 0 && st.st_uid == shift;
        return fmt::format("{} is running; its root is host uid {} ({})", name, shift,
                           chowned ? "files chowned to the range: this file system has no idmapped mounts"
                                   : "idmapped mount, files unchanged on disk");
    }
    // A copy in progress: hidden, and removable by name after a crash.
    std::string stagingPath(const std::string& name) const
    {
        return (fs::path(o_.machinesDir) / (".#" + name + ".partial")).string();
    }
    std::string templatesDir() const { return (fs::path(o_.stateDir) / "templates").string(); }
    std::string templateMarker(const std::string& name) const { return (fs::path(templatesDir()) / name).string(); }
    std::string runFile(const std::string& name, std::string_view ext) const
    {
        return (fs::path(o_.stateDir) / "run" / (name + std::string(ext))).string();
    }
    std::string rootfsOf(const core::MachineRecord& m) const
    {
        return m.location.empty() ? machinePath(m.name) : m.location;
    }
    RunTarget targetOf(const core::MachineRecord& m) const
    {
        return {m.name, rootfsOf(m), settingsPath(m.name), m.cpuQuota, m.memoryMax, m.hostLink, m.bridge};
    }

    core::Result<void> checkFree(const std::string& name) const
    {
        for (const auto& p : {machinePath(name), settingsPath(name)})
            if (exists(p))
                return core::fail(ErrorCode::MachineExists, fmt::format("{} already exists", p));
        return {};
    }

    core::Result<PreparedIdentity> prepareIdentity(const std::string& name, const core::MachineSpec& spec) const
    {
        PreparedIdentity p;
        p.bridge = effectiveBridge(spec, o_);
        if (!p.bridge.empty()) {
            const auto kind = net::linkKind(p.bridge);
            if (kind == net::LinkKind::Unknown)
                return core::fail(ErrorCode::BackendFailed,
                                  fmt::format("cannot tell whether {} is a bridge: {}", p.bridge, std::strerror(errno)));
            if (kind != net::LinkKind::Bridge)
                return core::fail(ErrorCode::InvalidArgs,
                                  fmt::format("bridge: {} on this host", kind == net::LinkKind::Missing
                                                                             ? "there is no bridge " + p.bridge
                                                                             : p.bridge + " is not a bridge"));
        }
        if (spec.ipv4) {
            if (*spec.ipv4 == "auto")
                return core::fail(ErrorCode::InvalidArgs, "ipv4: \"auto\" must be resolved from an address pool first");
            p.network = StaticNetwork{*spec.ipv4, spec.gateway.value_or(""), spec.dns.value_or(std::vector<std::string>{}),
                                      spec.ipv6.value_or(""), spec.gateway6.value_or(""), sixInFourOf(spec)};
        }
        // Hashed before anything is made, so a libcrypt failure changes nothing.
        if (spec.password) {
            auto h = hashPassword(*spec.password);
            if (!h)
                return std::unexpected(h.error());
            p.passwordHash = *h;
        } else if (spec.passwordHash) {
            p.passwordHash = *spec.passwordHash;
        }
        return p;
    }

    // Fills in the machine's uid shift (its user namespace) and the
    // fingerprints of its new SSH host keys.
    core::Result<void> cloneConfigureStart(const NewMachine& m, const std::string& source,
                                           const core::MachineSpec& spec, const PreparedIdentity& id, bool start,
                                           JobContext& ctx, MachineFacts& facts)
    {
        const std::string& name = m.name;
        std::error_code ec;
        fs::create_directories(o_.machinesDir, ec);
        std::string rootfs = machinePath(name);
        ctx.progress(kImageDone, "clone", fmt::format("cloning {} to {}", source, rootfs));
        auto method = cloneTree(source, rootfs, stagingPath(name), ctx.stopToken());
        if (!method) {
            if (method.error().code == ErrorCode::MachineExists)
                return std::unexpected(method.error());  // not ours to remove
            return rollback(name, method.error());
        }
        ctx.progress(kCloneDone, "clone",
                     *method == CloneMethod::Snapshot ? "btrfs snapshot taken" : "tree copied");
        if (ctx.cancelRequested())
            return rollback(name, std::nullopt);

        ctx.progress(kCloneDone, "configure", "writing hostname, machine-id and settings");
        Identity identity{name, id.passwordHash, spec.sshAuthorizedKeys, id.network};
        if (auto r = applyIdentity(rootfs, identity); !r)
            return rollback(name, r.error());
        auto sshKeys = configureSsh(name, rootfs, spec.ssh);
        if (!sshKeys)
            return rollback(name, sshKeys.error());
        facts.sshHostKeys = std::move(*sshKeys);
        // The range is reserved until the settings file records it.
        auto shift = uids_.reserve();
        if (!shift)
            return rollback(name, shift.error());
        facts.bridge = id.bridge;
        facts.hostLink = id.bridge.empty() ? std::string() : hostLinkName(m.number);
        NspawnSettings settings{name, id.bridge, *shift,
                                o_.privateUsersOwnership, facts.hostLink};
        auto written = writeNspawnSettings(settingsPath(name), settings);
        uids_.release(*shift);
        if (!written)
            return rollback(name, written.error());
        ctx.progress(kConfigureDone, "configure",
                     fmt::format("configured; user namespace: host uids {}-{}", *shift, *shift + kUidRangeSize - 1));
        if (ctx.cancelRequested())
            return rollback(name, std::nullopt);
        facts.uidShift = *shift;
        if (!start)
            return {};

        ctx.progress(kConfigureDone, "start", "booting " + name);
        RunTarget t{name, rootfs, settingsPath(name), spec.cpuQuota.value_or(0), spec.memoryMax.value_or(0),
                    facts.hostLink, facts.bridge};
        if (auto r = bootWithHostLink(*runner_, t, ctx.stopToken(), o_.startTimeout); !r)
            return rollback(name, r.error().code == ErrorCode::Cancelled ? std::nullopt : std::optional(r.error()));
        ctx.progress(1.0, "start", runningMessage(name, rootfs, *shift));
        return {};
    }

    // New SSH host keys for every tree with an OpenSSH server (so that
    // enabling it later needs none), and its server enabled or disabled as
    // the spec says (left as the tree has it when the spec says nothing: a
    // clone keeps its source's choice). Returns the keys' fingerprints.
    core::Result<std::vector<std::string>> configureSsh(const std::string& name, const std::string& rootfs,
                                                        std::optional<bool> ssh) const
    {
        if (!hasSshServer(rootfs)) {
            // No key of the tree's past stays (a tenant may have moved sshd
            // away; its keys still must not be shared). With a server,
            // installHostKeys replaces them.
            if (auto r = removeHostKeys(rootfs); !r)
                return std::unexpected(r.error());
            if (ssh.value_or(false))
                return core::fail(ErrorCode::InvalidArgs,
                                  fmt::format("ssh: {} has no OpenSSH server (/usr/sbin/sshd); its source was made "
                                              "from an image without one",
                                              name));
            return std::vector<std::string>{};
        }
        auto owner = treeRootOwner(rootfs);
        if (!owner)
            return std::unexpected(owner.error());
        auto keys = generateHostKeys(keyWorkDir(), name);
        if (!keys)
            return std::unexpected(keys.error());
        if (auto r = installHostKeys(rootfs, *keys, *owner); !r)
            return std::unexpected(r.error());
        if (ssh)
            if (auto r = setSshServerEnabled(rootfs, *ssh, *owner); !r)
                return std::unexpected(r.error());
        std::vector<std::string> fingerprints;
        for (const auto& k : *keys) {
            auto fp = hostKeyFingerprint(k.publicKey);
            if (!fp)
                return std::unexpected(fp.error());
            fingerprints.push_back(std::move(*fp));
        }
        return fingerprints;
    }

    // Undo a half-made machine; `why` nullopt means it was cancelled.
    std::unexpected<core::Error> rollback(const std::string& name, std::optional<core::Error> why)
    {
        RunTarget t{name, machinePath(name), settingsPath(name)};
        if (runner_->isRunning(t))
            (void)runner_->stop(t, 3s);
        if (auto r = removeMachineFiles(name, machinePath(name)); !r)
            log::warning({.machine = name}, "rollback of {} incomplete: {}", name, r.error().message);
        if (why)
            return std::unexpected(*why);
        return std::unexpected(core::Error{ErrorCode::Cancelled, "creating " + name + " was cancelled"});
    }

    std::unexpected<core::Error> cancelled(const std::string& name) const
    {
        return std::unexpected(core::Error{ErrorCode::Cancelled, "creating " + name + " was cancelled"});
    }

    core::Result<void> removeMachineFiles(const std::string& name, const std::string& rootfs)
    {
        if (auto r = removeTree(rootfs); !r)
            return r;
        for (const auto& f : {settingsPath(name), templateMarker(name), runFile(name, ".pid"),
                              runFile(name, ".console"), runFile(name, ".console.1"), runFile(name, ".notify")}) {
            if (::unlink(f.c_str()) != 0 && errno != ENOENT)
                return core::fail(ErrorCode::BackendFailed, fmt::format("cannot remove {}: {}", f, std::strerror(errno)));
        }
        // What a killed writer left of this machine: a staging copy
        // (.#NAME.partial), atomic-write temporaries (.#NAME.pid.1a2b3c4d),
        // systemd-nspawn's image lock (.#NAME.lck, removed only on a clean
        // exit). Names hold no dot, so the prefix is this machine's alone.
        const std::string prefix = ".#" + name + ".";
        std::set<std::string> dirs{o_.machinesDir, fs::path(rootfs).parent_path().string(),
                                   fs::path(settingsPath(name)).parent_path().string(),
                                   fs::path(runFile(name, ".pid")).parent_path().string()};
        for (const auto& dir : dirs) {
            std::error_code ec;
            std::vector<std::string> leftovers;
            for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
                if (it->path().filename().string().starts_with(prefix))
                    leftovers.push_back(it->path().string());
            for (const auto& path : leftovers)
                if (auto r = removeTree(path); !r)
                    return r;
        }
        return {};
    }

    core::Result<void> writeMarker(const std::string& name)
    {
        int fd = ::open(templateMarker(name).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
            return core::fail(ErrorCode::BackendFailed,
                              fmt::format("cannot write {}: {}", templateMarker(name), std::strerror(errno)));
        ::close(fd);
        return {};
    }

    NspawnOptions o_;
    std::shared_ptr<MachineRunner> runner_;
    mutable BaseImageCache images_;
    std::string hostArch_;
    // Architectures whose binaries run here under qemu-user-static (read at
    // start: installing it is an admin's act, followed by a restart).
    std::vector<std::string> foreignArchs_;
    UidRangeAllocator uids_;
    std::mutex listenerMutex_;
    StateListener listener_;
};

}  // namespace

std::unique_ptr<Driver> makeNspawnDriver(NspawnOptions options, std::shared_ptr<MachineRunner> runner)
{
    return std::make_unique<NspawnDriver>(std::move(options), std::move(runner));
}

}  // namespace zenith::drivers::nspawn
