// Text that came from a caller or a tenant, made safe to show. D-Bus refuses
// to send a string that is not valid UTF-8 (the caller would never get its
// reply), and a raw newline or a megabyte-long value in a log line lets one
// caller forge log lines or fill the disk. So every such text goes through
// one of these before it reaches a reply, a property, a signal, the registry
// or the journal. Never call them on a secret: they show what they get.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace zenith::core {

// Longest text a job message, an error message or a log message may have.
inline constexpr size_t kMaxMessageBytes = 4096;

// A value quoted inside a message: 'value'. Control characters, the quote and
// the backslash become \xNN, bytes that are not valid UTF-8 become \xNN, a
// valid multi-byte character is kept whole. At most `maxChars` characters of
// the value are shown, then "...". The result is always valid UTF-8.
std::string quoteForMessage(std::string_view value, size_t maxChars = 80);

// A whole message, kept readable: valid UTF-8 passes unchanged (newlines and
// tabs included, a plan has several lines), other control bytes and invalid
// bytes become \xNN, and the result is cut at a character boundary so that it
// holds at most `maxBytes` bytes (ending in "..." when cut).
std::string toValidUtf8(std::string_view text, size_t maxBytes = kMaxMessageBytes);

// The same for a single-line field (a log field, a name): newlines and tabs
// are escaped too.
std::string toSingleLine(std::string_view text, size_t maxBytes);

// True when `s` holds a byte below 0x20 or 0x7f (they would end up in config files).
bool hasControlChars(std::string_view s);

// Length in bytes of the valid UTF-8 character that starts `s` (1-4), or 0
// when `s` does not start with one (overlong forms, surrogates and code points
// above U+10FFFF are not valid).
size_t utf8CharLength(std::string_view s);

}  // namespace zenith::core
