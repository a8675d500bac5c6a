// A bus-independent value for one spec key. service/dbus converts
// sdbus::Variant into this so that validation (core/spec.*) never sees D-Bus.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

namespace zenith::core {

// (proto, host port, machine port) as in the `ports` key: a(sqq).
struct PortForward {
    std::string proto;
    uint16_t hostPort = 0;
    uint16_t machinePort = 0;
    bool operator==(const PortForward&) const = default;
};

// The D-Bus signature each alternative came from is kept in `signature`
// so that type errors can name the expected and the received type.
struct SpecValue {
    using Variant = std::variant<bool,                               // b
                                 uint16_t,                           // q
                                 uint32_t,                           // u
                                 uint64_t,                           // t
                                 int32_t,                            // i
                                 int64_t,                            // x
                                 double,                             // d
                                 std::string,                        // s
                                 std::vector<std::string>,           // as
                                 std::vector<PortForward>,           // a(sqq)
                                 std::map<std::string, std::string>  // a{sv} whose values are all strings
                                 >;
    Variant value;
    std::string signature;  // D-Bus signature of the original variant, e.g. "u"
};

using SpecMap = std::map<std::string, SpecValue>;

}  // namespace zenith::core
