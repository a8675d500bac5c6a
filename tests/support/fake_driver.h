// The one fake drivers::Driver of the test suites. It behaves like the nspawn
// driver wherever the engine depends on it:
//   - a machine it made exists ("on disk") until it is destroyed; creating
//     one that exists is MachineExists, acting on one that does not is
//     NoSuchMachine;
//   - destroy of a running machine without FORCE is Busy, and so are clone
//     of a running source and template of a running machine;
//   - destroy and stop pass their point of no return (setCancelable(false))
//     before they change anything, and never give up after it;
//   - create, clone, start and template honour a cancel while they can be
//     cancelled, and a cancelled or failed create leaves nothing behind;
//   - probe tells the truth (a machine whose tree is gone is Failed),
//     rollbackPartial removes a half-made machine, and a machine that stops
//     on its own is reported through the state listener.
// Tests script it per operation: park calls at the operation's hold point
// until released (or cancelled, where cancel is still possible), or make
// them fail there with a chosen error.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "drivers/driver.h"

namespace zenith::testsupport {

enum class FakeOp { Create, Clone, Start, Stop, Destroy, Template, Probe };

struct ProgressReport {
    double fraction;
    std::string step, message;
};

// What exists "on disk". A daemon restart keeps it: give the driver of the
// restarted engine the same FakeDisk.
struct FakeDisk {
    std::mutex mu;
    std::set<std::string> made, running, templates;
};

class FakeDriver final : public drivers::Driver, public drivers::ImageCatalog, public drivers::GuestInventory {
public:
    explicit FakeDriver(std::shared_ptr<FakeDisk> disk = std::make_shared<FakeDisk>());

    // ---- scripting; set before the jobs that should see it run ----

    // Calls of `op` park at their hold point until release(op).
    void hold(FakeOp op);
    // Lets parked and later calls of `op` through.
    void release(FakeOp op);
    void releaseAll();
    // Calls of `op` fail with `error` at their hold point (after any hold).
    void failWith(FakeOp op, core::Error error);
    // Calls of `op` run `thrower` at their hold point: a driver bug (it
    // throws std::bad_alloc, std::logic_error, anything); nullptr: no more.
    void throwWith(FakeOp op, std::function<void()> thrower);
    // Calls of `op` park at their hold point and ignore a cancel until
    // release(op): a driver stuck in I/O (a hung NFS read, a wedged disk).
    void stick(FakeOp op);

    // Reported by create and clone before their hold point, in order (a
    // driver may report a lower fraction than before: the engine copes).
    std::vector<ProgressReport> createProgress{{0.02, "architecture", "host architecture amd64"},
                                               {0.5, "base-image", "using cached image"},
                                               {0.9, "clone", "tree copied"},
                                               {0.94, "configure", "configured"}};
    std::vector<std::string> addresses;      // the facts create/clone report
    uint32_t madeVmid = 0;                   // ... a remote guest's id
    std::string madeLocation;                // ... and where it is ("" for a path of its own)
    // Checkpointed by create and clone before their hold point, in order.
    std::vector<std::pair<std::string, std::string>> createCheckpoints;
    std::vector<drivers::ImageInfo> imageList;
    bool withoutImages = false;  // a backend without an image list
    std::set<std::string> knownReleases{"bookworm", "bullseye", "trixie"};
    // What locksFor() claims beyond the engine's own (a Proxmox driver's
    // vmid, a source its server lets clone one at a time).
    std::function<std::vector<core::ResourceLock>(const core::Request&)> extraLocks;
    // Keys of its own (as a Proxmox driver's last_octet) and its default
    // address pool.
    std::vector<core::SpecKeyRule> ownKeys;
    std::string defaultPool;

    // A remote backend's guest listing (GuestInventory): off unless set.
    bool withInventory = false;
    // Reports a listing of `location` read at `readAt`, as a driver's
    // refresher would; false when the engine has set no listener (yet).
    bool reportGuests(const std::string& location, std::chrono::system_clock::time_point readAt,
                      const std::vector<drivers::RemoteGuest>& guests);
    int inventoryRefreshRequests() const;

    // ---- observing ----

    // True once `count` calls of `op` reached their hold point (parked or
    // passed it), false after `timeout`.
    bool waitReachedHold(FakeOp op, int count = 1, std::chrono::milliseconds timeout = std::chrono::seconds(30));
    int reachedHold(FakeOp op) const;
    // How often `op` was called at all.
    int calls(FakeOp op) const;
    std::vector<std::string> rolledBack() const;
    // The records rollbackPartial() was handed (with their checkpoints).
    std::vector<core::MachineRecord> rolledBackRecords() const;
    bool exists(const std::string& name) const;
    bool isRunning(const std::string& name) const;
    // The spec the last create or clone was handed: it lives in the engine's
    // job entry, so a test can check what the engine keeps of it afterwards.
    const core::MachineSpec* lastSpec() const;
    bool lastSpecHadPassword() const;

    // The machine stops on its own (its container exited), as the runner
    // reports it; the engine hears of it through the state listener.
    void exitOnItsOwn(const std::string& name);

    // ---- drivers::Driver ----
    std::string_view id() const override { return "nspawn"; }
    std::string_view kind() const override { return "container"; }
    core::Result<void> validate(const core::MachineSpec& spec) const override;
    std::vector<core::ResourceLock> locksFor(const core::Request& request) const override;
    core::SpecKeyRules specKeys() const override { return ownKeys; }
    std::string addressPool() const override { return defaultPool; }
    bool hostForwards() const override { return forwardsPorts; }
    bool forwardsPorts = true;  // as nspawn: the host forwards ports to its machines
    std::string plan(const std::string& name, const core::MachineSpec& spec) const override;
    core::Result<drivers::MachineFacts> create(const drivers::NewMachine& m, const core::MachineSpec& spec, bool start,
                                               drivers::JobContext& ctx) override;
    core::Result<drivers::MachineFacts> clone(const core::MachineRecord& source, const drivers::NewMachine& target,
                                              const core::MachineSpec& merged, bool start,
                                              drivers::JobContext& ctx) override;
    core::Result<void> start(const core::MachineRecord& m, drivers::JobContext& ctx) override;
    core::Result<void> stop(const core::MachineRecord& m, bool force, drivers::JobContext& ctx) override;
    core::Result<void> destroy(const core::MachineRecord& m, bool force, drivers::JobContext& ctx) override;
    core::Result<void> makeTemplate(const core::MachineRecord& m, drivers::JobContext& ctx) override;
    core::MachineState probe(const core::MachineRecord& m) override;
    void rollbackPartial(const core::MachineRecord& m) override;
    drivers::ImageCatalog* imageCatalog() override { return withoutImages ? nullptr : this; }
    core::Result<std::vector<drivers::ImageInfo>> images() override;
    void setStateListener(StateListener listener) override;
    drivers::GuestInventory* guestInventory() override { return withInventory ? this : nullptr; }
    void setInventoryListener(Listener listener) override;
    void refreshSoon() override;

private:
    mutable std::mutex inventoryMu_;
    Listener inventoryListener_;
    int inventoryRefreshes_ = 0;

    void called(FakeOp op);
    // Runs `change` on the disk under its lock.
    void onDisk(const std::function<void(FakeDisk&)>& change);
    // NoSuchMachine when `name` is not on disk; Busy (with the reason
    // `busyWhenRunning`, when one is given) while it runs.
    core::Result<void> requireMade(const std::string& name, std::string_view busyWhenRunning = {}) const;
    // Parks the call while `op` is held; with `cancelable`, a cancel ends the
    // wait. Then the scripted failure, if any. Cancelled when cancelled.
    core::Result<void> holdPoint(FakeOp op, drivers::JobContext& ctx, bool cancelable);
    core::Result<drivers::MachineFacts> make(const drivers::NewMachine& m, const core::MachineSpec& spec, bool start,
                                             drivers::JobContext& ctx, FakeOp op);

    std::shared_ptr<FakeDisk> disk_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::set<FakeOp> held_;
    std::map<FakeOp, core::Error> failures_;
    std::map<FakeOp, std::function<void()>> throwers_;
    std::set<FakeOp> stuck_;
    std::map<FakeOp, int> reached_, calls_;
    std::vector<std::string> rolledBack_;
    std::vector<core::MachineRecord> rolledBackRecords_;
    const core::MachineSpec* lastSpec_ = nullptr;
    bool lastSpecHadPassword_ = false;
    StateListener listener_;
};

}  // namespace zenith::testsupport
