// Each machine's user namespace: tenant uid 0..65535 maps to a host range
// of 65536 ids that belongs to that machine alone, so that root inside a
// container is nobody on the host. The range is picked when the machine is
// made and recorded in its .nspawn file (PrivateUsers=BASE:65536), which
// systemd-nspawn reads in both run modes (systemd-nspawn@.service reads it
// with --settings=override, so it wins over the unit's -U).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace zenith::drivers::nspawn {

inline constexpr uint32_t kUidRangeSize = 0x10000;
// systemd-nspawn's own window for --private-users=pick: above every
// regular and system user, below the ranges systemd reserves for itself.
inline constexpr uint32_t kFirstUidBase = 0x00080000;
inline constexpr uint32_t kLastUidBase = 0x6fff0000;

struct IdRange {
    uint32_t first = 0, count = 0;
    bool overlaps(uint32_t base, uint32_t size) const { return first < base + size && base < first + count; }
};

// The base of `PrivateUsers=BASE[:65536]` in a .nspawn file's text, if any.
std::optional<uint32_t> privateUsersBase(std::string_view settings);

// Ids the host already hands out in the window: /etc/subuid and
// /etc/subgid ranges, and users and groups in /etc/passwd and /etc/group.
std::vector<IdRange> hostIdRanges(const std::string& etc = "/etc");

// The lowest free base in the window: not `taken` by another machine, not
// overlapping `host`. nullopt when the window is full.
std::optional<uint32_t> pickUidBase(const std::set<uint32_t>& taken, const std::vector<IdRange>& host);

// Picks ranges for concurrent creates: a range is reserved from the pick
// until its .nspawn file exists (then the scan of those files sees it).
class UidRangeAllocator {
public:
    // `settingsDir`: where the .nspawn files are.
    explicit UidRangeAllocator(std::string settingsDir, std::string etc = "/etc");
    core::Result<uint32_t> reserve();
    void release(uint32_t base);

private:
    std::set<uint32_t> inUse() const;  // from the .nspawn files; caller holds mu_

    std::string settingsDir_, etc_;
    std::mutex mu_;
    std::set<uint32_t> reserved_;
};

}  // namespace zenith::drivers::nspawn
