// What a Proxmox API answer means, before anything reads its data. The
// server reports failures in three shapes (proxmox-notes.md, "Errors"): a
// 400 whose body names each refused parameter, a status line with the
// reason (500, 403, 595...), and newer servers' "message" in the body. Each
// becomes one of our named errors, with the server's text escaped and cut
// (it may echo what a caller or a tenant chose), and a flag saying whether
// the same request may succeed if sent again a little later.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace zenith::drivers::proxmox {

struct ApiReply {
    long status = 0;         // HTTP status
    std::string statusText;  // the reason phrase of the status line
    std::string body;        // the JSON document, as received
};

struct ApiFailure {
    core::Error error;
    // Worth retrying with backoff: lock timeouts, 502-504, a task that is
    // not visible yet. Never for a refusal that will stay one.
    bool transient = false;
    bool operator==(const ApiFailure&) const = default;
};

// Longest server text kept in a message.
inline constexpr size_t kMaxServerTextBytes = 512;

// nullopt for a 2xx reply. `request` ("POST /nodes/pve1/lxc/9000/clone")
// names the call in the message; it must not hold a secret.
std::optional<ApiFailure> classifyReply(const ApiReply& reply, std::string_view request);

}  // namespace zenith::drivers::proxmox
