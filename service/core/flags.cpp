#include "core/flags.h"

#include <fmt/format.h>

namespace zenith::core {

Result<void> validateFlags(uint64_t flags, uint64_t allowed)
{
    if (uint64_t unknown = flags & ~allowed)
        return fail(ErrorCode::InvalidArgs,
                    fmt::format("flags: unknown bits {:#x} in {:#x} (accepted bits: {:#x})", unknown, flags, allowed));
    return {};
}

}  // namespace zenith::core
