// A dbus-daemon of our own for unit tests (session config, socket in a temp
// dir), ended by PID when the object goes.
#pragma once

#include <sys/types.h>

#include <string>

namespace zenith::testing {

class PrivateBus {
public:
    PrivateBus();  // throws std::runtime_error when dbus-daemon does not come up
    ~PrivateBus();
    PrivateBus(const PrivateBus&) = delete;
    PrivateBus& operator=(const PrivateBus&) = delete;
    const std::string& address() const { return address_; }

private:
    pid_t pid_ = -1;
    std::string dir_, address_;
};

}  // namespace zenith::testing
