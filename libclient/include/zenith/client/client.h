// libzenith-client: typed calls on org.zenith.Provisioner.
//
//   auto client = zenith::client::Client::connect();
//   zenith::client::Spec spec;
//   spec.setRelease("bookworm").setMemoryMax(1ull << 30);
//   auto made = client->create("web1", "nspawn", spec);
//   auto result = made->job.wait([](auto& p) { ... });
//
// Every state change returns at once with a Job; wait() follows it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "zenith/client/error.h"
#include "zenith/client/export.h"
#include "zenith/client/job.h"
#include "zenith/client/spec.h"
#include "zenith/client/types.h"

namespace zenith::client {

inline constexpr const char* kBusName = "org.zenith.Provisioner";
inline constexpr const char* kRootPath = "/org/zenith/Provisioner";

struct ConnectOptions {
    // At most one of host/address. Neither: the system bus
    // ($DBUS_SYSTEM_BUS_ADDRESS or the standard socket).
    std::string host;     // [user@]host: that host's system bus over `ssh -xT host systemd-stdio-bridge`
    std::string address;  // any D-Bus address, e.g. unix:path=/run/dbus/system_bus_socket
    // Sets the ALLOW_INTERACTIVE_AUTHORIZATION header flag on every call, so
    // polkit may ask for a password instead of answering
    // InteractiveAuthorizationRequired.
    bool allowInteractiveAuthorization = false;
    // Per-call timeout; zero keeps sd-bus's default (25 s).
    std::chrono::milliseconds callTimeout = std::chrono::milliseconds::zero();
};

struct Submitted {
    Job job;
    std::string machinePath;  // create/clone only
};

class ZENITH_CLIENT_EXPORT Client {
public:
    static Result<Client> connect(const ConnectOptions& options = {});

    Result<Submitted> create(const std::string& name, const std::string& backend, const Spec& spec, uint64_t flags = 0);
    Result<Submitted> clone(const std::string& source, const std::string& newName, const Spec& overrides,
                            uint64_t flags = 0);
    Result<Job> destroy(const std::string& name, uint64_t flags = 0);
    Result<Job> start(const std::string& name, uint64_t flags = 0);
    Result<Job> stop(const std::string& name, uint64_t flags = 0);
    Result<Job> makeTemplate(const std::string& name, uint64_t flags = 0);

    Result<MachineInfo> machine(const std::string& name);
    Result<std::vector<MachineSummary>> machines();
    Result<std::vector<JobSummary>> jobs();
    Result<std::vector<ImageInfo>> images(const std::string& backend);
    // Address pools (extension): their use (one entry per family of a
    // pool), a pool's leases, and the address ipv4=auto (nextFreeAddress) or
    // ipv6=auto (nextFreeAddress6) would get now.
    Result<std::vector<PoolInfo>> pools();
    Result<std::vector<LeaseInfo>> leases(const std::string& pool);
    // The bridges machines join (extension): state, addresses, ports.
    Result<std::vector<BridgeInfo>> bridges();
    // Port forwards (extension): every one the host holds, and a machine's
    // added or removed as a job (kFlagDryRun: the plan only).
    Result<std::vector<ForwardInfo>> portForwards();
    Result<Job> addPortForward(const std::string& name, const PortForward& forward, uint64_t flags = 0);
    Result<Job> removePortForward(const std::string& name, const std::string& proto, uint16_t hostPort,
                                  uint64_t flags = 0);
    Result<std::string> nextFreeAddress(const std::string& pool);
    Result<std::string> nextFreeAddress6(const std::string& pool);
    // A remote backend (extension): its nodes and storages, a machine's
    // health and backups, from what the daemon last read of the cluster;
    // and a backup as a job (kFlagDryRun: the plan only). NotSupported on a
    // backend without them.
    Result<std::vector<NodeInfo>> nodes(const std::string& backend);
    Result<std::vector<StorageInfo>> storages(const std::string& backend);
    Result<MachineHealth> health(const std::string& name);
    Result<std::vector<BackupInfo>> backups(const std::string& name);
    Result<Job> backup(const std::string& name, const BackupOptions& options = {}, uint64_t flags = 0);
    Result<void> cancel(uint32_t jobId);

    // A handle on an existing job (no call is made).
    Job job(uint32_t id) const;

private:
    explicit Client(std::shared_ptr<detail::Session> session);
    std::shared_ptr<detail::Session> session_;
};

}  // namespace zenith::client
