#include <fmt/format.h>

#include "fake_driver.h"

#include <functional>
#include <stop_token>

namespace zenith::testsupport {

using core::ErrorCode;
using core::MachineState;

FakeDriver::FakeDriver(std::shared_ptr<FakeDisk> disk) : disk_(std::move(disk)) {}

void FakeDriver::hold(FakeOp op)
{
    std::lock_guard lock(mu_);
    held_.insert(op);
}

void FakeDriver::release(FakeOp op)
{
    std::lock_guard lock(mu_);
    held_.erase(op);
    cv_.notify_all();
}

void FakeDriver::releaseAll()
{
    std::lock_guard lock(mu_);
    held_.clear();
    cv_.notify_all();
}

void FakeDriver::failWith(FakeOp op, core::Error error)
{
    std::lock_guard lock(mu_);
    failures_.insert_or_assign(op, std::move(error));
}

void FakeDriver::throwWith(FakeOp op, std::function<void()> thrower)
{
    std::lock_guard lock(mu_);
    throwers_[op] = std::move(thrower);
}

void FakeDriver::stick(FakeOp op)
{
    std::lock_guard lock(mu_);
    stuck_.insert(op);
    held_.insert(op);
}

bool FakeDriver::waitReachedHold(FakeOp op, int count, std::chrono::milliseconds timeout)
{
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return reached_[op] >= count; });
}

int FakeDriver::reachedHold(FakeOp op) const
{
    std::lock_guard lock(mu_);
    auto it = reached_.find(op);
    return it == reached_.end() ? 0 : it->second;
}

int FakeDriver::calls(FakeOp op) const
{
    std::lock_guard lock(mu_);
    auto it = calls_.find(op);
    return it == calls_.end() ? 0 : it->second;
}

void FakeDriver::called(FakeOp op)
{
    std::lock_guard lock(mu_);
    ++calls_[op];
}

std::vector<std::string> FakeDriver::rolledBack() const
{
    std::lock_guard lock(mu_);
    return rolledBack_;
}

std::vector<core::MachineRecord> FakeDriver::rolledBackRecords() const
{
    std::lock_guard lock(mu_);
    return rolledBackRecords_;
}

bool FakeDriver::exists(const std::string& name) const
{
    std::lock_guard lock(disk_->mu);
    return disk_->made.contains(name);
}

bool FakeDriver::isRunning(const std::string& name) const
{
    std::lock_guard lock(disk_->mu);
    return disk_->running.contains(name);
}

const core::MachineSpec* FakeDriver::lastSpec() const
{
    std::lock_guard lock(mu_);
    return lastSpec_;
}

bool FakeDriver::lastSpecHadPassword() const
{
    std::lock_guard lock(mu_);
    return lastSpecHadPassword_;
}

void FakeDriver::onDisk(const std::function<void(FakeDisk&)>& change)
{
    std::lock_guard lock(disk_->mu);
    change(*disk_);
}

core::Result<void> FakeDriver::requireMade(const std::string& name, std::string_view busyWhenRunning) const
{
    std::lock_guard lock(disk_->mu);
    if (!disk_->made.contains(name))
        return core::fail(ErrorCode::NoSuchMachine, "the tree of " + name + " is missing");
    if (!busyWhenRunning.empty() && disk_->running.contains(name))
        return core::fail(ErrorCode::Busy, name + " is running; " + std::string(busyWhenRunning));
    return {};
}

void FakeDriver::exitOnItsOwn(const std::string& name)
{
    onDisk([&](FakeDisk& d) { d.running.erase(name); });
    StateListener listener;
    {
        std::lock_guard lock(mu_);
        listener = listener_;
    }
    if (listener)
        listener(name, MachineState::Stopped);
}

core::Result<void> FakeDriver::holdPoint(FakeOp op, drivers::JobContext& ctx, bool cancelable)
{
    // Registered before taking the lock: it runs at once when the cancel
    // already came, and it takes the lock itself.
    std::optional<std::stop_callback<std::function<void()>>> wake;
    if (cancelable)
        wake.emplace(ctx.stopToken(), std::function<void()>([this] {
                         std::lock_guard lock(mu_);
                         cv_.notify_all();
                     }));
    std::unique_lock lock(mu_);
    ++reached_[op];
    cv_.notify_all();
    // Past the point of no return the real driver finishes what it started
    // whatever happens, so only a cancelable call listens for a cancel.
    // A stuck call hears nothing, a cancel included, until it is released.
    const bool listens = cancelable && !stuck_.contains(op);
    cv_.wait(lock, [&] { return !held_.contains(op) || (listens && ctx.cancelRequested()); });
    if (listens && ctx.cancelRequested())
        return core::fail(ErrorCode::Cancelled, "cancelled at the fake driver's hold point");
    if (auto it = throwers_.find(op); it != throwers_.end() && it->second) {
        auto thrower = it->second;
        lock.unlock();
        thrower();
    }
    if (auto it = failures_.find(op); it != failures_.end())
        return std::unexpected(it->second);
    return {};
}

core::Result<void> FakeDriver::validate(const core::MachineSpec& spec) const
{
    if (spec.release && !knownReleases.contains(*spec.release))
        return core::fail(ErrorCode::InvalidArgs, "release: unknown release '" + *spec.release + "'");
    if (spec.wireguardConfig)
        return core::fail(ErrorCode::InvalidArgs, "wireguard_config: WireGuard is not set up by this backend");
    return {};
}

std::vector<core::ResourceLock> FakeDriver::locksFor(const core::Request& request) const
{
    return extraLocks ? extraLocks(request) : std::vector<core::ResourceLock>{};
}

std::string FakeDriver::plan(const std::string& name, const core::MachineSpec& spec) const
{
    return "would create " + name + " from debian " + spec.release.value_or("bookworm") +
           (spec.password ? ", root password set (hashed)" : "");
}

core::Result<drivers::MachineFacts> FakeDriver::make(const drivers::NewMachine& m, const core::MachineSpec& spec,
                                                     bool start, drivers::JobContext& ctx, FakeOp op)
{
    const std::string& name = m.name;
    if (auto r = validate(spec); !r)
        return std::unexpected(r.error());
    {
        std::lock_guard lock(mu_);
        lastSpec_ = &spec;
        lastSpecHadPassword_ = spec.password.has_value();
    }
    {
        // Never touches a machine it did not make, as the real driver.
        std::lock_guard lock(disk_->mu);
        if (disk_->made.contains(name))
            return core::fail(ErrorCode::MachineExists, name + " already exists");
        disk_->made.insert(name);
    }
    for (const auto& p : createProgress)
        ctx.progress(p.fraction, p.step, p.message);
    for (const auto& [key, value] : createCheckpoints)
        ctx.checkpoint(key, value);
    auto held = holdPoint(op, ctx, true);
    std::lock_guard lock(disk_->mu);
    if (!held) {
        // A cancelled or failed create leaves nothing behind.
        disk_->made.erase(name);
        return std::unexpected(held.error());
    }
    if (start)
        disk_->running.insert(name);
    return drivers::MachineFacts{.distro = spec.distro.value_or("debian"),
                                 .release = spec.release.value_or("bookworm"),
                                 .arch = "amd64",
                                 .addresses = addresses,
                                 .vmid = madeVmid,
                                 .location = madeLocation.empty() ? "/fake/machines/" + name : madeLocation,
                                 // Named as nspawn names it, so the engine's numbering shows.
                                 .bridge = spec.bridge.value_or(""),
                                 .hostLink = spec.bridge ? fmt::format("vi{}", m.number) : std::string()};
}

core::Result<drivers::MachineFacts> FakeDriver::create(const drivers::NewMachine& m, const core::MachineSpec& spec,
                                                       bool start, drivers::JobContext& ctx)
{
    called(FakeOp::Create);
    return make(m, spec, start, ctx, FakeOp::Create);
}

core::Result<drivers::MachineFacts> FakeDriver::clone(const core::MachineRecord& source,
                                                      const drivers::NewMachine& target, const core::MachineSpec& merged,
                                                      bool start, drivers::JobContext& ctx)
{
    called(FakeOp::Clone);
    if (auto r = requireMade(source.name, "stop it before cloning"); !r)
        return std::unexpected(r.error());
    return make(target, merged, start, ctx, FakeOp::Clone);
}

core::Result<void> FakeDriver::start(const core::MachineRecord& m, drivers::JobContext& ctx)
{
    called(FakeOp::Start);
    if (auto r = requireMade(m.name); !r)
        return r;
    if (probe(m) == MachineState::Template)
        return core::fail(ErrorCode::InvalidArgs, "name: " + m.name + " is a template; clone it instead");
    ctx.progress(0.1, "start", "booting " + m.name);
    if (auto r = holdPoint(FakeOp::Start, ctx, true); !r)
        return r;
    onDisk([&](FakeDisk& d) { d.running.insert(m.name); });
    ctx.progress(1.0, "start", m.name + " is running");
    return {};
}

core::Result<void> FakeDriver::stop(const core::MachineRecord& m, bool, drivers::JobContext& ctx)
{
    called(FakeOp::Stop);
    if (!isRunning(m.name)) {
        ctx.progress(1.0, "stop", m.name + " is not running");
        return {};
    }
    ctx.progress(0.1, "stop", "powering off " + m.name);
    ctx.setCancelable(false);  // the poweroff signal went out
    if (auto r = holdPoint(FakeOp::Stop, ctx, false); !r)
        return r;
    onDisk([&](FakeDisk& d) { d.running.erase(m.name); });
    ctx.progress(1.0, "stop", m.name + " stopped");
    return {};
}

core::Result<void> FakeDriver::destroy(const core::MachineRecord& m, bool force, drivers::JobContext& ctx)
{
    called(FakeOp::Destroy);
    if (isRunning(m.name) && !force)
        return core::fail(ErrorCode::Busy, m.name + " is running; stop it or destroy with FORCE");
    ctx.setCancelable(false);  // deleting starts now
    ctx.progress(0.5, "destroy", "removing " + m.name);
    if (auto r = holdPoint(FakeOp::Destroy, ctx, false); !r)
        return r;
    onDisk([&](FakeDisk& d) {
        d.running.erase(m.name);
        d.made.erase(m.name);
        d.templates.erase(m.name);
    });
    ctx.progress(1.0, "destroy", m.name + " destroyed");
    return {};
}

core::Result<void> FakeDriver::makeTemplate(const core::MachineRecord& m, drivers::JobContext& ctx)
{
    called(FakeOp::Template);
    if (auto r = requireMade(m.name, "stop it first"); !r)
        return r;
    ctx.progress(0.3, "template", "marking " + m.name + " read-only");
    if (auto r = holdPoint(FakeOp::Template, ctx, true); !r)
        return r;
    onDisk([&](FakeDisk& d) { d.templates.insert(m.name); });
    ctx.progress(1.0, "template", m.name + " is a template");
    return {};
}

MachineState FakeDriver::probe(const core::MachineRecord& m)
{
    {
        // A probe held is a slow one (a remote guest's status over the
        // network): it waits until released.
        std::unique_lock lock(mu_);
        ++calls_[FakeOp::Probe];
        ++reached_[FakeOp::Probe];
        cv_.notify_all();
        cv_.wait(lock, [&] { return !held_.contains(FakeOp::Probe); });
    }
    std::lock_guard lock(disk_->mu);
    if (!disk_->made.contains(m.name))
        return MachineState::Failed;
    if (disk_->templates.contains(m.name))
        return MachineState::Template;
    return disk_->running.contains(m.name) ? MachineState::Running : MachineState::Stopped;
}

void FakeDriver::rollbackPartial(const core::MachineRecord& m)
{
    {
        std::lock_guard lock(mu_);
        rolledBack_.push_back(m.name);
        rolledBackRecords_.push_back(m);
    }
    onDisk([&](FakeDisk& d) {
        d.running.erase(m.name);
        d.made.erase(m.name);
    });
}

core::Result<std::vector<drivers::ImageInfo>> FakeDriver::images()
{
    return imageList;
}

void FakeDriver::setStateListener(StateListener listener)
{
    std::lock_guard lock(mu_);
    listener_ = std::move(listener);
}

// The listener is called under the lock, as the real ClusterSet calls its
// listeners under one: setting another waits for a call in progress.
bool FakeDriver::reportGuests(const std::string& location, std::chrono::system_clock::time_point readAt,
                              const std::vector<drivers::RemoteGuest>& guests)
{
    std::lock_guard lock(inventoryMu_);
    if (!inventoryListener_)
        return false;
    inventoryListener_(location, readAt, guests);
    return true;
}

void FakeDriver::setInventoryListener(Listener listener)
{
    std::lock_guard lock(inventoryMu_);
    inventoryListener_ = std::move(listener);
}

void FakeDriver::refreshSoon()
{
    std::lock_guard lock(inventoryMu_);
    ++inventoryRefreshes_;
}

int FakeDriver::inventoryRefreshRequests() const
{
    std::lock_guard lock(inventoryMu_);
    return inventoryRefreshes_;
}

}  // namespace zenith::testsupport
