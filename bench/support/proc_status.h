// Memory figures of a process from /proc/PID/status.
#pragma once

#include <cstdint>
#include <sys/types.h>

namespace zenith::bench {

struct MemoryStatus {
    uint64_t rssKb = 0;  // VmRSS: resident now
    uint64_t hwmKb = 0;  // VmHWM: the peak resident size so far
};

// Throws std::runtime_error when the process is gone.
MemoryStatus readMemoryStatus(pid_t pid);

}  // namespace zenith::bench
