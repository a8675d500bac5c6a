#include "core/text_quote.h"

#include <fmt/format.h>

namespace zenith::core {

namespace {

constexpr std::string_view kEllipsis = "...";

bool isContinuation(unsigned char c) { return (c & 0xc0) == 0x80; }

void appendHex(std::string& out, unsigned char c)
{
    out += fmt::format("\\x{:02x}", c);
}

enum class Keep { Quoted, Lines, SingleLine };

// The escaped form of the character at the start of `s` and how many input
// bytes it stands for.
struct Piece {
    std::string text;
    size_t consumed;
};

Piece nextPiece(std::string_view s, Keep keep)
{
    auto c = static_cast<unsigned char>(s[0]);
    Piece p{{}, 1};
    if (c < 0x80) {
        bool control = c < 0x20 || c == 0x7f;
        bool escape = control;
        if (keep == Keep::Lines && (c == '\n' || c == '\t'))
            escape = false;
        if (keep == Keep::Quoted && (c == '\\' || c == '\''))
            escape = true;
        if (escape)
            appendHex(p.text, c);
        else
            p.text += static_cast<char>(c);
        return p;
    }
    size_t n = utf8CharLength(s);
    if (n == 0) {
        appendHex(p.text, c);
        return p;
    }
    // C1 controls (U+0080-U+009F) are as dangerous to a terminal as C0 ones.
    if (n == 2 && c == 0xc2 && static_cast<unsigned char>(s[1]) < 0xa0) {
        appendHex(p.text, c);
        appendHex(p.text, static_cast<unsigned char>(s[1]));
        p.consumed = 2;
        return p;
    }
    p.text.assign(s.substr(0, n));
    p.consumed = n;
    return p;
}

// Escapes `text` piece by piece (so a cut never splits a character or an
// escape); when the whole does not fit in `maxBytes`, keeps the pieces that
// fit with room for the "..." that then ends it. Work is bounded by
// `maxBytes`, not by the size of `text`.
std::string escapeBounded(std::string_view text, size_t maxBytes, Keep keep)
{
    const size_t room = maxBytes > kEllipsis.size() ? maxBytes - kEllipsis.size() : 0;
    std::string out;
    out.reserve(std::min(text.size(), maxBytes) + 8);
    size_t cut = 0;  // length of `out` at the last piece boundary within `room`
    while (!text.empty()) {
        Piece p = nextPiece(text, keep);
        if (out.size() + p.text.size() > maxBytes) {
            out.resize(cut);
            out += kEllipsis;
            return out;
        }
        out += p.text;
        if (out.size() <= room)
            cut = out.size();
        text.remove_prefix(p.consumed);
    }
    return out;
}

}  // namespace

size_t utf8CharLength(std::string_view s)
{
    if (s.empty())
        return 0;
    auto b0 = static_cast<unsigned char>(s[0]);
    if (b0 < 0x80)
        return 1;
    size_t n;
    uint32_t cp;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
        n = 2;
        cp = b0 & 0x1f;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
        n = 3;
        cp = b0 & 0x0f;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
        n = 4;
        cp = b0 & 0x07;
    } else {
        return 0;  // a continuation byte, 0xc0/0xc1 (always overlong) or 0xf5+
    }
    if (s.size() < n)
        return 0;
    for (size_t i = 1; i < n; ++i) {
        auto b = static_cast<unsigned char>(s[i]);
        if (!isContinuation(b))
            return 0;
        cp = (cp << 6) | (b & 0x3f);
    }
    const bool overlong = (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000);
    const bool surrogate = cp >= 0xd800 && cp <= 0xdfff;
    if (overlong || surrogate || cp > 0x10ffff)
        return 0;
    return n;
}

bool hasControlChars(std::string_view s)
{
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7f)
            return true;
    return false;
}

std::string quoteForMessage(std::string_view value, size_t maxChars)
{
    std::string out = "'";
    size_t shown = 0;
    while (!value.empty()) {
        if (shown == maxChars) {
            out += kEllipsis;
            break;
        }
        Piece p = nextPiece(value, Keep::Quoted);
        out += p.text;
        value.remove_prefix(p.consumed);
        ++shown;
    }
    out += "'";
    return out;
}

std::string toValidUtf8(std::string_view text, size_t maxBytes)
{
    return escapeBounded(text, maxBytes, Keep::Lines);
}

std::string toSingleLine(std::string_view text, size_t maxBytes)
{
    return escapeBounded(text, maxBytes, Keep::SingleLine);
}

}  // namespace zenith::core
