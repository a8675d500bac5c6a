// The Proxmox simulator's control API (tests/proxmox_sim/README.md,
// "Control API"): plain HTTP on 127.0.0.1 at $ZENITH_PVE_CONTROL, which
// `tests/harness/sandbox.sh --proxmox-sim` exports. The benchmark reads the
// API requests the daemon made (/requests), the cluster as it is (/state),
// and empties the request list between samples (/requests/reset). A small
// libcurl client of its own: the bus tests' one (tests/bus/proxmox) needs
// their harness.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace zenith::bench::pve {

// Throws std::runtime_error on a transport error, a non-2xx answer, a body
// that is not JSON, or when $ZENITH_PVE_CONTROL is not set.
nlohmann::json controlGet(const std::string& path);
nlohmann::json controlPost(const std::string& path, const nlohmann::json& body = nlohmann::json::object());

// What a fresh connection costs, the daemon's pattern (a new TCP + TLS
// connection per request, the cluster CA verified): `count` connections to
// the first node of $ZENITH_PVE_INFO, each with one unauthenticated
// GET /api2/json/access/ticket (the simulator answers 501 at once and
// closes). Milliseconds from the start to the end of the TLS handshake.
struct TransportProbe {
    std::vector<double> handshake;
    std::string node;
};
TransportProbe probeTransport(int count);

}  // namespace zenith::bench::pve
