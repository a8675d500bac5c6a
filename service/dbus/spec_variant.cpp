#include "dbus/spec_variant.h"

#include <fmt/format.h>

#include <sdbus-c++/Error.h>

#include "core/spec.h"
#include "core/text_quote.h"

namespace zenith::dbus {

namespace {

using core::ErrorCode;
using core::SpecValue;

constexpr std::string_view kAccepted = "b, q, u, t, i, x, d, s, as, a(sqq), a{sv} of strings";

core::Result<SpecValue::Variant> convert(const std::string& key, const sdbus::Variant& v, const std::string& sig,
                                         std::string_view argument)
{
    if (sig == "b") return v.get<bool>();
    if (sig == "q") return v.get<uint16_t>();
    if (sig == "u") return v.get<uint32_t>();
    if (sig == "t") return v.get<uint64_t>();
    if (sig == "i") return v.get<int32_t>();
    if (sig == "x") return v.get<int64_t>();
    if (sig == "d") return v.get<double>();
    if (sig == "s") return v.get<std::string>();
    if (sig == "as") return v.get<std::vector<std::string>>();
    if (sig == "a(sqq)") {
        std::vector<core::PortForward> out;
        for (const auto& s : v.get<std::vector<sdbus::Struct<std::string, uint16_t, uint16_t>>>())
            out.push_back({std::get<0>(s), std::get<1>(s), std::get<2>(s)});
        return out;
    }
    if (sig == "a{sv}") {
        // Nested dicts (`tunnel`) carry only strings; anything else is
        // rejected here rather than half-converted.
        std::map<std::string, std::string> out;
        for (const auto& [k, inner] : v.get<std::map<std::string, sdbus::Variant>>()) {
            const std::string innerSig = inner.isEmpty() ? std::string() : inner.peekValueType();
            if (innerSig != "s")
                return core::fail(ErrorCode::InvalidArgs,
                                  fmt::format("{} key {}: entry {} must be a string (s), got '{}'", argument,
                                              core::quoteForMessage(key), core::quoteForMessage(k), innerSig));
            out.emplace(k, inner.get<std::string>());
        }
        return out;
    }
    return core::fail(ErrorCode::InvalidArgs, fmt::format("{} key {}: unsupported type '{}' (accepted: {})",
                                                          argument, core::quoteForMessage(key), sig, kAccepted));
}

}  // namespace

core::Result<core::SpecMap> specFromVariants(const std::map<std::string, sdbus::Variant>& raw,
                                             std::string_view argument,
                                             const std::function<bool(std::string_view)>& isKey)
{
    core::SpecMap out;
    for (const auto& [key, v] : raw) {
        if (!isKey(key))
            return core::fail(ErrorCode::InvalidArgs, fmt::format("unknown {} key {}", argument, core::quoteForMessage(key)));
        if (v.isEmpty())
            return core::fail(ErrorCode::InvalidArgs, fmt::format("{} key {}: empty variant", argument, core::quoteForMessage(key)));
        const std::string sig = v.peekValueType();
        try {
            auto value = convert(key, v, sig, argument);
            if (!value)
                return std::unexpected(value.error());
            out.emplace(key, SpecValue{std::move(*value), sig});
        } catch (const sdbus::Error& e) {
            // Only a malformed message gets here (the signature was checked).
            return core::fail(ErrorCode::InvalidArgs,
                              fmt::format("{} key {}: cannot read value of type '{}'", argument, core::quoteForMessage(key), sig));
        }
    }
    return out;
}

}  // namespace zenith::dbus
