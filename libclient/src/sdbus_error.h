// The one place where sdbus-c++ exceptions become client::Error values.
#pragma once

#include <exception>
#include <type_traits>

#include <sdbus-c++/Error.h>

#include "zenith/client/error.h"

namespace zenith::client::detail {

Error fromSdbus(const sdbus::Error& e);

// Runs `f`, turning sdbus::Error (and anything else thrown) into an Error.
template <typename F>
auto guarded(F&& f) -> Result<std::invoke_result_t<F>>
{
    try {
        if constexpr (std::is_void_v<std::invoke_result_t<F>>) {
            f();
            return {};
        } else {
            return f();
        }
    } catch (const sdbus::Error& e) {
        return std::unexpected(fromSdbus(e));
    } catch (const std::exception& e) {
        return std::unexpected(makeError(ErrorKind::Other, e.what()));
    }
}

}  // namespace zenith::client::detail
