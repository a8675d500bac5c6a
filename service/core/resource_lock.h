// Locks a job holds on what it acts on: not only its machine, but a clone's
// source, a published host port, an explicit address, a Proxmox vmid. Held
// from submit (so a conflicting request is refused at once, Busy, naming the
// resource) until the job ends; `Serial` locks instead make jobs wait their
// turn in the queue (clones of one Proxmox template: the server locks the
// source for the length of each clone).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace zenith::core {

enum class LockMode {
    Exclusive,  // no other holder of any mode but Serial
    Shared,     // other Shared holders only (a clone's source: read, not changed)
    Serial,     // one running holder at a time; the others wait queued
};

struct ResourceLock {
    std::string resource;  // "machine:web1", "hostport:tcp/8080", "vmid:pve/9101"
    LockMode mode = LockMode::Exclusive;
    std::string what;      // for messages: "machine 'web1'"

    bool operator==(const ResourceLock&) const = default;
};

ResourceLock machineLock(const std::string& name, LockMode mode = LockMode::Exclusive);

class LockTable {
public:
    struct Conflict {
        std::string what;
        uint32_t job = 0;  // the job holding it
    };

    // The first Exclusive/Shared lock of `locks` that another job holds in a
    // conflicting mode; Serial locks never conflict here.
    std::optional<Conflict> conflict(const std::vector<ResourceLock>& locks) const;
    // Takes the Exclusive/Shared locks of `locks` for `job` (after conflict()
    // said none).
    void hold(uint32_t job, const std::vector<ResourceLock>& locks);

    // True when no running job holds any Serial lock of `locks`.
    bool serialFree(const std::vector<ResourceLock>& locks) const;
    void holdSerial(uint32_t job, const std::vector<ResourceLock>& locks);

    // Everything `job` holds.
    void release(uint32_t job);
    // One resource `job` holds (a recovery that is done with one machine).
    void releaseResource(uint32_t job, const std::string& resource);

    // Any job holds `resource`, in any mode.
    bool held(const std::string& resource) const;

private:
    void dropHeld(uint32_t job, const std::vector<ResourceLock>& held);

    struct Holders {
        std::optional<uint32_t> exclusive;
        std::multiset<uint32_t> shared;
        std::optional<uint32_t> serial;
        std::string what;
        bool empty() const { return !exclusive && shared.empty() && !serial; }
    };
    std::map<std::string, Holders, std::less<>> resources_;
    std::map<uint32_t, std::vector<ResourceLock>> byJob_;
};

}  // namespace zenith::core
