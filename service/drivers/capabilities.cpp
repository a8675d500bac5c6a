#include "drivers/capabilities.h"

#include <fmt/format.h>

namespace zenith::drivers {

std::unexpected<core::Error> notOnThisBackend(std::string_view backend, std::string_view what)
{
    return core::fail(core::ErrorCode::NotSupported, fmt::format("{} not available on backend '{}'", what, backend));
}

}  // namespace zenith::drivers
