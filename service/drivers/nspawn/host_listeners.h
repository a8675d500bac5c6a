// Which ports the host itself serves, so that a machine cannot publish one
// of them: a forward of the host's SSH port to a tenant would hand the
// tenant every connection meant for the host. Read from /proc/net in the
// daemon's (the host's) network namespace.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace zenith::drivers::nspawn {

// (proto, port): ("tcp", 22), ("udp", 53).
using ListeningPorts = std::set<std::pair<std::string, uint16_t>>;

// One /proc/net/{tcp,tcp6,udp,udp6} table: TCP sockets in LISTEN, UDP
// sockets bound and unconnected. Malformed lines are skipped.
ListeningPorts parseProcNetTable(std::string_view text, std::string_view proto);

// All four tables of this network namespace (missing ones are skipped: a
// host without IPv6 has no tcp6).
ListeningPorts hostListeningPorts(const std::string& procNet = "/proc/net");

}  // namespace zenith::drivers::nspawn
