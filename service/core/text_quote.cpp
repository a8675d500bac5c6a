#include "core/text_quote.h"

#include <fmt/format.h>

namespace zenith::core {

bool hasControlChars(std::string_view s)
{
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7f)
            return true;
    return false;
}

std::string quoteForMessage(std::string_view value, size_t maxLen)
{
    std::string out = "'";
    size_t shown = 0;
    for (unsigned char c : value) {
        if (shown == maxLen) {
            out += "...";
            break;
        }
        if (c < 0x20 || c == 0x7f || c == '\\' || c == '\'')
            out += fmt::format("\\x{:02x}", c);
        else
            out += static_cast<char>(c);
        ++shown;
    }
    out += "'";
    return out;
}

}  // namespace zenith::core
