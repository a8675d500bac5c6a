// A log file that never grows past a bound: when the next write would take
// it over `maxBytes`, it becomes FILE.1 (replacing the older one) and FILE
// starts afresh. At most about twice `maxBytes` on disk, the newest output
// always in FILE. For a container's console, whose content is the tenant's
// to choose (and to make endless).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.h"

namespace zenith::drivers::nspawn {

// One MiB of console per file: plenty for the last boot and its errors.
inline constexpr size_t kConsoleLogMaxBytes = 1 << 20;

class RotatingLog {
public:
    // Opens `path` for appending (made 0600 when missing).
    static core::Result<RotatingLog> open(std::string path, size_t maxBytes);
    RotatingLog(RotatingLog&&) noexcept;
    RotatingLog& operator=(RotatingLog&&) = delete;
    ~RotatingLog();

    core::Result<void> write(std::string_view bytes);

private:
    RotatingLog(std::string path, size_t maxBytes, int fd, size_t size);
    core::Result<void> rotate();

    std::string path_;
    size_t maxBytes_;
    int fd_;
    size_t size_;
};

}  // namespace zenith::drivers::nspawn
