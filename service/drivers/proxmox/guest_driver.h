// The proxmox-lxc and proxmox-qemu backends: one Driver class for both guest
// types, over the clusters of the daemon's config (ClusterSet). Each
// operation is its own file (guest_clone.cpp, lxc_create.cpp,
// qemu_create.cpp, guest_power.cpp, guest_destroy.cpp, guest_template.cpp,
// guest_recovery.cpp); this header is what they share.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "drivers/driver.h"
#include "drivers/proxmox/client/task_waiter.h"
#include "drivers/proxmox/cluster.h"
#include "drivers/proxmox/qemu_create_params.h"

namespace zenith::drivers::proxmox {

enum class GuestType { Lxc, Qemu };

struct GuestDriverOptions {
    GuestType type = GuestType::Lxc;
    core::VmLimits vmLimits;
    // Waits between retries and task polls (tests make them instant).
    std::function<bool(std::chrono::milliseconds, std::stop_token)> sleep;
};

// A guest's state as the engine shows it; nullopt while its node is
// offline (status "unknown").
std::optional<core::MachineState> guestState(const ClusterGuest& g);

std::unique_ptr<Driver> makeGuestDriver(GuestDriverOptions options, std::shared_ptr<ClusterSet> clusters);

class GuestDriver final : public Driver,
                          public ImageCatalog,
                          public GuestInventory,
                          public ClusterCatalog,
                          public BackupCapability {
public:
    GuestDriver(GuestDriverOptions options, std::shared_ptr<ClusterSet> clusters);
    ~GuestDriver() override;

    // ---- Driver ----
    std::string_view id() const override;
    std::string_view kind() const override;
    core::SpecKeyRules specKeys() const override;
    core::Limits specLimits(const core::Limits& configured) const override;
    core::Result<void> validate(const core::MachineSpec& spec) const override;
    core::Result<void> validateCreate(const core::MachineSpec& spec) const override;
    std::string addressPool() const override;
    std::string bridgeFor(const core::MachineSpec& spec) const override;
    std::vector<core::ResourceLock> locksFor(const core::Request& request) const override;
    std::string plan(const std::string& name, const core::MachineSpec& spec) const override;
    core::Result<MachineFacts> create(const NewMachine& m, const core::MachineSpec& spec, bool start,
                                      JobContext& ctx) override;                     // guest_create.cpp
    core::Result<MachineFacts> clone(const core::MachineRecord& source, const NewMachine& target,
                                     const core::MachineSpec& merged, bool start, JobContext& ctx) override;  // guest_clone.cpp
    core::Result<void> start(const core::MachineRecord& m, JobContext& ctx) override;          // guest_power.cpp
    core::Result<void> stop(const core::MachineRecord& m, bool force, JobContext& ctx) override;  // guest_power.cpp
    core::Result<void> destroy(const core::MachineRecord& m, bool force, JobContext& ctx) override;  // guest_destroy.cpp
    core::Result<void> makeTemplate(const core::MachineRecord& m, JobContext& ctx) override;   // guest_template.cpp
    core::MachineState probe(const core::MachineRecord& m) override;                           // guest_recovery.cpp
    void rollbackPartial(const core::MachineRecord& m) override;                                 // guest_recovery.cpp
    ImageCatalog* imageCatalog() override { return this; }
    GuestInventory* guestInventory() override { return this; }
    ClusterCatalog* clusterCatalog() override { return this; }
    BackupCapability* backupCapability() override { return this; }
    void setStateListener(StateListener listener) override { stateListener_ = std::move(listener); }

    // ---- ImageCatalog: ISOs (qemu) or container templates (lxc) ----
    core::Result<std::vector<ImageInfo>> images() override;
    // ---- GuestInventory ----
    void setInventoryListener(Listener listener) override;
    void refreshSoon() override { clusters_->refreshSoon(); }

    // ---- ClusterCatalog (guest_catalog.cpp) ----
    std::vector<NodeInfo> nodes() override;
    std::vector<StorageSummary> storages() override;
    core::Result<MachineHealth> health(const core::MachineRecord& m) override;
    // ---- BackupCapability (guest_backup.cpp) ----
    core::Result<std::string> backup(const core::MachineRecord& m, const BackupOptions& options,
                                     JobContext& ctx) override;
    core::Result<std::vector<BackupInfo>> backups(const core::MachineRecord& m) override;

    // ---- shared by the operation files ----
    GuestType type() const { return options_.type; }
    const char* typePath() const { return options_.type == GuestType::Lxc ? "lxc" : "qemu"; }
    const char* noun() const { return options_.type == GuestType::Lxc ? "CT" : "VM"; }
    // "/nodes/pve1/lxc/9101"
    std::string guestPath(const std::string& node, uint32_t vmid) const;
    // The cluster a spec names (key `cluster`) or the default one.
    core::Result<Cluster*> clusterFor(const core::MachineSpec& spec) const;
    // The cluster a machine lives on (its record's location).
    core::Result<Cluster*> clusterOf(const core::MachineRecord& m) const;
    // Where the machine's guest is now (a guest may have migrated): its
    // node, by a lookup; NoSuchMachine when the cluster has no such guest.
    core::Result<ClusterGuest> locateGuest(Cluster& c, const core::MachineRecord& m, std::stop_token stop);
    // Waits for the task an async call answered with (`reply` is the UPID),
    // checkpointing it; progress in [from, to] of the job.
    core::Result<TaskResult> followTask(Cluster& c, const nlohmann::json& reply, JobContext& ctx,
                                        const std::string& step, double from, double to);
    // The cluster's next free vmid (it does not reserve it).
    core::Result<uint32_t> nextVmid(Cluster& c, std::stop_token stop);
    // The vmid for a new guest on `node` - `wanted`, or the next free one -
    // checkpointed with cluster and node before the call that takes it.
    // Caller holds c.vmidAllocation().
    core::Result<uint32_t> claimVmid(Cluster& c, std::optional<uint32_t> wanted, const std::string& node,
                                     JobContext& ctx);
    // A made guest's facts for the record.
    MachineFacts madeFacts(const Cluster& c, const std::string& node, uint32_t vmid,
                           const core::MachineSpec& spec) const;
    // A machine's cluster and its guest as it is now.
    struct Located {
        Cluster* cluster = nullptr;
        ClusterGuest guest;
    };
    core::Result<Located> locate(const core::MachineRecord& m, std::stop_token stop);
    // Stops (hard) and removes guest `vmid` on `node` if it is still the
    // one this daemon made for `name` (its hostname/name says so), without
    // a job: rollback after a failure, a cancel, or a crash. Best effort,
    // logged.
    void removeMadeGuest(Cluster& c, const std::string& node, uint32_t vmid, const std::string& name);
    // The call that makes guest `vmid` got no answer (it may have been
    // carried out): true once that guest exists under our name and its
    // creation lock is gone (the call did it), false when there is no such
    // guest of ours; an error when it cannot be told.
    core::Result<bool> lostCallMadeIt(Cluster& c, const std::string& node, uint32_t vmid, const std::string& name,
                                      JobContext& ctx);
    // Waits, without a job, until the task `upid` has ended (whatever its
    // result): a rollback after a crash lets the task the dead job started
    // finish before it removes what the task made.
    void awaitTask(Cluster& c, const std::string& upid);
    // Job messages for the warnings of a task that ended with WARNINGS.
    void reportWarnings(JobContext& ctx, const std::string& step, const TaskResult& result, double at);
    const std::function<bool(std::chrono::milliseconds, std::stop_token)>& sleeper() const { return sleep_; }
    // LXC create / QEMU create (lxc_create.cpp, qemu_create.cpp).
    core::Result<MachineFacts> createLxc(Cluster& c, const std::string& name, const core::MachineSpec& spec,
                                         bool start, JobContext& ctx);
    core::Result<MachineFacts> createQemu(Cluster& c, const std::string& name, const core::MachineSpec& spec,
                                          JobContext& ctx);
    // Runs the call that makes a guest (`call(vmid)` answers with its task)
    // with the spec's vmid or the cluster's next free one, checkpointed
    // first; a free id someone else took meanwhile: the next one.
    struct Claimed {
        uint32_t vmid = 0;
        nlohmann::json task;
    };
    // `task` is null when the call's answer was lost but the guest was made.
    core::Result<Claimed> createWithNewVmid(Cluster& c, const core::MachineSpec& spec, const std::string& node,
                                            const std::string& name, JobContext& ctx,
                                            const std::function<core::Result<nlohmann::json>(uint32_t)>& call);
    // The network, resources and features a made container gets (after a
    // clone: PUT config), as form parameters.
    core::Result<Params> lxcSettings(Cluster& c, const core::MachineSpec& spec) const;
    // Boots the guest and waits for its start task.
    core::Result<void> startGuest(Cluster& c, const std::string& node, uint32_t vmid, JobContext& ctx, double from,
                                  double to);

private:
    // What validate() and validateCreate() both check: the cluster, the
    // node, a VM's ranges.
    core::Result<void> checkCommon(const core::MachineSpec& spec) const;

    GuestDriverOptions options_;
    std::shared_ptr<ClusterSet> clusters_;
    std::function<bool(std::chrono::milliseconds, std::stop_token)> sleep_;
    StateListener stateListener_;
    size_t listenerId_ = 0;
    std::mutex listenerMu_;
};

}  // namespace zenith::drivers::proxmox
