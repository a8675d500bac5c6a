#include "core/core_dumps.h"

#include <sys/prctl.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace zenith::core {

Result<void> disableCoreDumps()
{
    // PR_SET_DUMPABLE 0 (SUID_DUMP_DISABLE) also keeps other processes of
    // the same uid from ptrace-attaching to read that memory.
    if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        return fail(ErrorCode::BackendFailed, fmt::format("cannot turn core dumps off: {}", std::strerror(errno)));
    return {};
}

}  // namespace zenith::core
