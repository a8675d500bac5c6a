// Helpers of the bus-proxmox tier: the real daemon on the private bus with the
// real polkitd, its [Proxmox.sim] cluster being tests/proxmox_sim (started
// by `sandbox.sh --proxmox-sim`), every change made as the automation user
// zenith-auto through polkit.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <zenith/client/client.h>

#include "child_process.h"
#include "sim_control.h"

namespace zenith::bustest::pve {

inline constexpr const char* kErrorBusy = "org.zenith.Provisioner.Error.Busy";
inline constexpr const char* kErrorNoSuchImage = "org.zenith.Provisioner.Error.NoSuchImage";
inline constexpr const char* kErrorBackendUnavailable = "org.zenith.Provisioner.Error.BackendUnavailable";

inline constexpr const char* kCluster = "sim";  // [Proxmox.sim], written by sandbox.sh
inline constexpr const char* kPool = "cloud";   // [Pool.cloud], provisioner-proxmox.conf
inline constexpr const char* kTemplate = "cloudpod-template";  // CT 9000 on the first node

// What a state-changing call made as zenith-auto came to.
struct Outcome {
    std::string stage;   // "call": refused before any job; "job": a job ran (or "child" when the child broke)
    std::string result;  // the job's "done" | "failed" | "cancelled"; empty for stage "call"
    std::string errorName, errorMessage;
    uint32_t job = 0;
    std::vector<std::string> messages;  // the job's progress messages, then its final Message

    bool done() const { return stage == "job" && result == "done"; }
    std::string describe() const;
};

// Submit through libclient in a child running as zenith-auto (so polkit sees
// that uid), then follow the job to its end (at most 3 minutes).
Outcome createAsAuto(const std::string& name, const std::string& backend, const client::Spec& spec,
                     uint64_t flags = 0);
Outcome cloneAsAuto(const std::string& source, const std::string& newName, const client::Spec& overrides,
                    uint64_t flags = 0);
Outcome destroyAsAuto(const std::string& name, uint64_t flags = 0);

// ListMachines as zenith-auto: [{name, backend, state, address, path}].
nlohmann::json machinesAsAuto();
// The row of `name` in that, or null.
nlohmann::json machineRowAsAuto(const std::string& name);

// zenithctl --json --no-ask-password ARGS as zenith-auto.
ProgramResult zenithctlAuto(const std::vector<std::string>& args);

// Root's reads: the pool's leases as {address without /len -> machine}, and
// the address ipv4=auto would get now (without /len).
std::vector<client::LeaseInfo> poolLeases(const std::string& pool = kPool);
std::optional<std::string> leaseOf(const std::string& machine, const std::string& pool = kPool);
std::string nextFreeAddress(const std::string& pool = kPool);

// "10.1.10.91/24" -> "10.1.10.91".
std::string hostPart(const std::string& address);

// Polls `condition` every 200 ms until it holds or `timeout` passes.
bool waitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

// The token secret (read from $ZENITH_PVE_TOKEN_FILE).
std::string tokenSecret();

// Every text a client got back in this run (job messages, error messages,
// zenithctl's output): the secrets test looks for the token in them.
void recordClientText(std::string text);
const std::vector<std::string>& recordedClientTexts();

// The daemon log's lines containing `needle` (the last `max`).
std::string daemonLogLines(const std::string& needle, size_t max = 40);

// Every test of the tier: the cluster listing is in (the driver reads it
// once at start, then every 30 s), and failure messages can show what the
// daemon said and what it asked of the cluster since the test began.
class ProxmoxTest : public ::testing::Test {
protected:
    void SetUp() override;
    // Daemon log lines about `machine`, and the simulator's requests since SetUp.
    std::string evidence(const std::string& machine) const;
    uint64_t seqAtStart_ = 0;
};

// Takes a node offline for the length of a scope (POST /fault
// node_offline), and back online however the scope ends.
class NodeOffline {
public:
    explicit NodeOffline(std::string node);
    ~NodeOffline();
    NodeOffline(const NodeOffline&) = delete;
    NodeOffline& operator=(const NodeOffline&) = delete;

private:
    std::string node_;
};

}  // namespace zenith::bustest::pve
