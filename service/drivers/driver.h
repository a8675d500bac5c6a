// The one interface every backend implements (nspawn, proxmox-lxc,
// proxmox-qemu). The engine calls these on a worker thread, never on the bus
// loop, so a driver may block; it must poll ctx.cancelRequested() (or wait on
// ctx.stopToken()) and, when cancelled, roll back what it made and return
// ErrorCode::Cancelled.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/machine.h"
#include "core/request.h"
#include "core/resource_lock.h"
#include "core/spec.h"
#include "drivers/capabilities.h"

namespace zenith::drivers {

// What a running job tells the world. `fraction` is of the whole job (0..1);
// the engine keeps progress monotonic and rate-limits signals, so drivers may
// report as often as they like.
class JobContext {
public:
    virtual ~JobContext() = default;
    virtual void progress(double fraction, std::string_view step, std::string_view message) = 0;
    virtual bool cancelRequested() const = 0;
    virtual std::stop_token stopToken() const = 0;
    // From here on Cancel() is refused (NotCancelable): the point of no return
    // (e.g. destroy has started deleting).
    virtual void setCancelable(bool cancelable) = 0;
    // Records a fact as soon as the driver learns it (the vmid it claimed, the
    // node, the task id), persisted with the machine before this returns, so
    // that after a daemon crash rollbackPartial() gets it in
    // MachineRecord::checkpoints. Keys: [a-z0-9_], at most 32 bytes; values
    // at most 256 bytes; at most 16 keys (more is dropped and logged).
    virtual void checkpoint(std::string_view key, std::string_view value) = 0;
};

// Facts a driver learned while creating a machine, copied into the record.
// The machine a create or clone makes: its name and the stable number the
// engine gave it (nspawn names its host link after it).
struct NewMachine {
    NewMachine(std::string name, uint32_t number = 0) : name(std::move(name)), number(number) {}
    NewMachine(const char* name) : name(name) {}  // tests: driver.create("web1", ...)
    std::string name;
    uint32_t number = 0;  // 0: none given (tests); then no host link is named
};

struct MachineFacts {
    std::string distro, release, arch;
    std::vector<std::string> addresses;
    std::string node;
    uint32_t vmid = 0;
    std::string location;
    uint32_t uidShift = 0;  // host uid of the tenant's root, 0 for none
    // "ssh-ed25519 SHA256:..." of each SSH host key the driver made for the
    // machine (empty: none made, or not this backend's to know).
    std::vector<std::string> sshHostKeys;
    std::string bridge;    // the bridge its network link is a port of
    std::string hostLink;  // that link's name on the host ("vi42")
    // Its state when not what the job's start flag says (a VM made a
    // template in its create job).
    std::optional<core::MachineState> state;
};

class Driver {
public:
    virtual ~Driver() = default;

    virtual std::string_view id() const = 0;    // "nspawn"
    virtual std::string_view kind() const = 0;  // "container" | "vm"

    // The spec keys this backend understands beyond the common ones (node,
    // vmid, iso, ...): any other key is InvalidArgs for it.
    virtual core::SpecKeyRules specKeys() const { return {}; }

    // Backend-specific checks that need no I/O beyond config (known distro,
    // release, arch, keys this backend does not support...). InvalidArgs
    // naming the key, or NoSuchImage.
    virtual core::Result<void> validate(const core::MachineSpec& spec) const = 0;
    // validate() for a machine made from nothing (create, not clone): what
    // only a create needs (an ISO, a container template) is checked too.
    virtual core::Result<void> validateCreate(const core::MachineSpec& spec) const { return validate(spec); }

    // The ranges spec values are checked against for this backend's
    // machines: `configured` ([Limits]) unless the backend has its own.
    virtual core::Limits specLimits(const core::Limits& configured) const { return configured; }

    // Whether the host forwards ports to this backend's machines (the
    // daemon's nftables table, core/net/nat_rules.h): nspawn's do.
    virtual bool hostForwards() const { return false; }

    // The address pool ([Pool.NAME]) this backend's machines take ipv4=auto
    // from when the spec names none; "" for none.
    virtual std::string addressPool() const { return {}; }

    // The bridge a machine made from `spec` joins (a default applied), "" for
    // none: a polkit detail, so a rule can say who may join which bridge.
    virtual std::string bridgeFor(const core::MachineSpec& spec) const { return spec.bridge.value_or(""); }

    // Locks a request of this backend holds beyond its machine, an explicit
    // address and host ports (core/ops adds those): a vmid, a source whose
    // clones the backend must run one at a time.
    virtual std::vector<core::ResourceLock> locksFor(const core::Request&) const { return {}; }

    // Human description of what create would do (DRY_RUN's Message).
    virtual std::string plan(const std::string& name, const core::MachineSpec& spec) const = 0;

    // Make the machine and, when `start`, boot it until its init is up.
    // On any failure or cancel nothing may be left behind.
    virtual core::Result<MachineFacts> create(const NewMachine& m, const core::MachineSpec& spec, bool start,
                                              JobContext& ctx) = 0;
    virtual core::Result<MachineFacts> clone(const core::MachineRecord& source, const NewMachine& target,
                                             const core::MachineSpec& merged, bool start, JobContext& ctx) = 0;
    virtual core::Result<void> start(const core::MachineRecord& m, JobContext& ctx) = 0;
    virtual core::Result<void> stop(const core::MachineRecord& m, bool force, JobContext& ctx) = 0;
    // `force`: stop a running machine first; without it a running machine is Busy.
    virtual core::Result<void> destroy(const core::MachineRecord& m, bool force, JobContext& ctx) = 0;
    virtual core::Result<void> makeTemplate(const core::MachineRecord& m, JobContext& ctx) = 0;

    // The machine's true state now (after a daemon restart, or to refresh).
    virtual core::MachineState probe(const core::MachineRecord& m) = 0;
    // Rolls back the remains of a machine whose create died with the daemon.
    virtual void rollbackPartial(const core::MachineRecord& m) = 0;

    // Optional capabilities (drivers/capabilities.h); nullptr: not on this
    // backend.
    virtual ImageCatalog* imageCatalog() { return nullptr; }
    virtual GuestInventory* guestInventory() { return nullptr; }
    virtual ClusterCatalog* clusterCatalog() { return nullptr; }
    virtual BackupCapability* backupCapability() { return nullptr; }

    // Called (from any thread) when a machine changes state on its own,
    // e.g. its container exited. Set once by the engine before any job runs.
    using StateListener = std::function<void(const std::string& name, core::MachineState state)>;
    virtual void setStateListener(StateListener listener) = 0;
};

}  // namespace zenith::drivers
