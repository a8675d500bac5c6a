// The Proxmox simulator's control API (tests/proxmox_sim/README.md, "Control
// API"): plain HTTP on 127.0.0.1 at $ZENITH_PVE_CONTROL, which
// `sandbox.sh --proxmox-sim` exports. What the tests read back to see what
// the daemon really did on the cluster, and how they inject faults.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace zenith::bustest::pve {

// GET/POST on the control API; throws std::runtime_error on a transport
// error, a non-2xx answer or a body that is not JSON.
nlohmann::json simGet(const std::string& path);
nlohmann::json simPost(const std::string& path, const nlohmann::json& body = nlohmann::json::object());

// GET /state.
nlohmann::json simState();
// state.guests[vmid], or null when the cluster has no such guest.
nlohmann::json simGuest(uint32_t vmid);
// The vmid of the guest whose hostname (CT) or name (VM) is `name`.
std::optional<uint32_t> simVmidByName(const std::string& name);
// What /cluster/nextid answers now: the lowest free id >= 100.
uint32_t simNextFreeVmid();

// POST /fault with one fault object, e.g. {"node_offline": "pve1"}.
void simFault(const nlohmann::json& fault);

// The highest `seq` of GET /requests so far (0 when none): take it before
// an action, then look only at what came after.
uint64_t simLastRequestSeq();
// Every API request with seq > `afterSeq`.
nlohmann::json simRequestsSince(uint64_t afterSeq);
// Those as lines "seq METHOD path -> status reason" (the last `max`), for
// failure messages.
std::string simRequestsText(uint64_t afterSeq, size_t max = 60);

}  // namespace zenith::bustest::pve
