// Proxmox task ids (UPIDs). Every asynchronous call answers with one, and
// the task it names can only be polled on the node the UPID names (another
// node answers 500), so the node is taken from here, never assumed:
//   UPID:node:PID(8 hex):PSTART(8-9 hex):STARTTIME(8 hex):type:id:user:
// The text comes from a server: it is checked as strictly as Proxmox's own
// PVE::Tools::upid_decode checks it before any part of it goes into a URL.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace zenith::drivers::proxmox {

struct Upid {
    std::string text;       // the whole UPID, as the server sent it
    std::string node;       // a DNS label (letters, digits, inner '-')
    uint32_t pid = 0;
    uint64_t pstart = 0;
    uint32_t startTime = 0; // unix time the task started
    std::string type;       // vzclone, qmcreate, vzdump ...
    std::string id;         // usually the vmid; may be empty
    std::string user;       // user@realm or user@realm!tokenid

    bool operator==(const Upid&) const = default;
};

// Longest UPID accepted (real ones are well under 200 bytes).
inline constexpr size_t kMaxUpidBytes = 512;

// InvalidArgs-free: a malformed UPID is the server's fault, BackendFailed
// with the text quoted.
core::Result<Upid> parseUpid(std::string_view text);

}  // namespace zenith::drivers::proxmox
