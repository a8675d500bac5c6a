#include "drivers/proxmox/client/property_string.h"

#include <fmt/format.h>

#include "core/text_quote.h"

namespace zenith::drivers::proxmox {

namespace {

// Empty values are left out by the caller, not sent as "key=".
std::string_view faultOf(std::string_view v)
{
    if (v.empty())
        return "is empty";
    for (unsigned char c : v) {
        if (c == ',' || c == '=')
            return "holds ',' or '=' (it would add a setting of its own)";
        if (c < 0x20 || c == 0x7f)
            return "holds a control character";
    }
    return {};
}

}  // namespace

PropertyString& PropertyString::value(std::string_view v)
{
    append({}, v);
    return *this;
}

PropertyString& PropertyString::add(std::string_view key, std::string_view v)
{
    append(key, v);
    return *this;
}

void PropertyString::append(std::string_view key, std::string_view v)
{
    if (!error_.empty())
        return;
    if (auto fault = faultOf(v); !fault.empty()) {
        error_ = key.empty() ? fmt::format("{}: the value {} {}", what_, core::quoteForMessage(v), fault)
                             : fmt::format("{}: {}={} {}", what_, key, core::quoteForMessage(v), fault);
        return;
    }
    if (!text_.empty())
        text_ += ',';
    if (!key.empty())
        text_ += fmt::format("{}=", key);
    text_ += v;
}

core::Result<std::string> PropertyString::str() const
{
    if (!error_.empty())
        return core::fail(core::ErrorCode::InvalidArgs, error_);
    return text_;
}

}  // namespace zenith::drivers::proxmox
