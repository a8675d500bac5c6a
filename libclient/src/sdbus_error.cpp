#include "sdbus_error.h"

#include <cerrno>
#include <cstring>

namespace zenith::client::detail {

Error fromSdbus(const sdbus::Error& e)
{
    Error out{errorKindFromName(e.getName()), e.getName(), e.getMessage()};
    // sdbus-c++ reports failures of its own calls (connect, send) under its
    // own name with the errno text; classify the ones that mean "unreachable".
    if (out.kind == ErrorKind::Other && e.getName() == "org.sdbuscpp.Error") {
        for (int err : {ENOENT, ECONNREFUSED, ECONNRESET, ENOTCONN, EPIPE, ESHUTDOWN})
            if (out.message.find(std::strerror(err)) != std::string::npos)
                out.kind = ErrorKind::Disconnected;
        if (out.message.find(std::strerror(ETIMEDOUT)) != std::string::npos)
            out.kind = ErrorKind::Timeout;
    }
    if (out.message.empty())
        out.message = out.name;
    return out;
}

}  // namespace zenith::client::detail
