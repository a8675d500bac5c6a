// One configured Proxmox VE cluster ([Proxmox.NAME]): its API client and
// what the daemon knows of it - guests, nodes, storages, ISOs and container
// templates - in a snapshot refreshed off the bus loop (ClusterSet's
// refresher thread, and on demand after a job changed something). The bus
// loop only ever reads the snapshot.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "drivers/proxmox/client/api_client.h"
#include "drivers/proxmox/client/http_transport.h"
#include "drivers/proxmox/cluster_inventory.h"

namespace zenith::drivers::proxmox {

struct ClusterOptions {
    std::string name;           // NAME of [Proxmox.NAME]
    std::string pool;           // the address pool of its guests, "" for none
    std::string bridge = "vmbr0";
    std::string storage;        // default storage for new guests' disks, "" to pick
    std::string backupStorage;  // default backup storage, "" to pick
    std::chrono::seconds taskTimeout{3600};
};

// What is known of a cluster at one moment.
struct ClusterView {
    ClusterResources resources;
    std::vector<StorageVolume> isos, templates, backups;  // content iso, vztmpl, backup
    std::chrono::system_clock::time_point readStarted{}, refreshed{};
    bool valid = false;     // a refresh has succeeded
    std::string lastError;  // of the last refresh, "" when it succeeded
};

class Cluster {
public:
    Cluster(ClusterOptions options, std::unique_ptr<HttpTransport> transport, ClusterEndpoint endpoint,
            RetryPolicy retry = {});

    const ClusterOptions& options() const { return options_; }
    const std::string& name() const { return options_.name; }
    ApiClient& api() { return api_; }

    std::shared_ptr<const ClusterView> view() const;
    // Reads the cluster now (a few requests: resources, then the content of
    // each storage that holds ISOs, templates or backups); keeps the last good view
    // when it fails, with the error.
    // `guestsOnly`: one request, the storages' files kept from the last
    // full read (after a job: a clone changes guests, not ISOs).
    core::Result<void> refresh(std::stop_token stop = {}, bool guestsOnly = false);
    // The guest as the cluster has it now (one request), nullptr-free:
    // nullopt when no guest has that vmid.
    core::Result<std::optional<ClusterGuest>> locate(uint32_t vmid, std::stop_token stop = {});

    // Serializes choosing a free vmid and the call that takes it, so two
    // jobs of this daemon never race for one id (other creators can still
    // race: the caller retries on "already exists").
    std::mutex& vmidAllocation() { return vmidMu_; }

private:
    ClusterOptions options_;
    std::unique_ptr<HttpTransport> transport_;
    ApiClient api_;
    mutable std::mutex mu_;
    std::shared_ptr<const ClusterView> view_;
    std::mutex vmidMu_;
};

// Every configured cluster, and the thread that keeps their views fresh.
class ClusterSet {
public:
    using Listener = std::function<void(const Cluster&, const ClusterView&)>;

    explicit ClusterSet(std::vector<std::shared_ptr<Cluster>> clusters,
                        std::chrono::seconds interval = std::chrono::seconds(30));
    ~ClusterSet();
    ClusterSet(const ClusterSet&) = delete;
    ClusterSet& operator=(const ClusterSet&) = delete;

    // Starts the refresher (first refresh at once).
    void start();
    // Asks for a refresh of `cluster`'s guests ("" every cluster) as soon as
    // possible; everything is read again every interval.
    void refreshSoon(const std::string& cluster = {});
    // Called after each refresh of a cluster, on the refresher thread.
    // Returns an id for removeListener, which waits for a call in progress.
    size_t addListener(Listener l);
    void removeListener(size_t id);

    Cluster* find(const std::string& name) const;
    // `name`, or the only / first (by name) cluster when empty; InvalidArgs
    // naming the configured clusters for an unknown one.
    core::Result<Cluster*> pick(const std::string& name) const;
    const std::vector<std::shared_ptr<Cluster>>& all() const { return clusters_; }

private:
    void run(std::stop_token stop);

    std::vector<std::shared_ptr<Cluster>> clusters_;
    std::chrono::seconds interval_;
    std::mutex mu_;
    std::condition_variable_any wake_;
    enum class Pending { None, Guests, Full };
    std::map<std::string, Pending> pending_;
    std::mutex listenersMu_;  // held while listeners are called
    std::map<size_t, Listener> listeners_;
    size_t nextListener_ = 1;
    std::jthread thread_;
};

}  // namespace zenith::drivers::proxmox
