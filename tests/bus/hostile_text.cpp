#include "hostile_text.h"

#include <sys/stat.h>

#include <fstream>

namespace zenith::bustest {

namespace {

void appendUtf8(std::string& out, uint32_t cp)
{
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xc0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xe0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    }
}

}  // namespace

std::string HostileText::codePoints(size_t count, bool controls)
{
    std::string out;
    for (size_t i = 0; i < count; ++i) {
        uint32_t cp;
        switch (pick(6)) {
        case 0: cp = 1 + pick(0x1f); break;          // C0 controls, newline included
        case 1: cp = 0x80 + pick(0x20); break;       // C1 controls
        case 2: cp = 0x20 + pick(0x5f); break;       // printable ASCII
        case 3: cp = 0xa0 + pick(0xd800 - 0xa0); break;
        case 4: cp = 0xe000 + pick(0x10000 - 0xe000); break;  // incl. U+FFFE/U+FFFF
        default: cp = 0x10000 + pick(0x100000); break;        // astral planes
        }
        if (!controls && (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)))
            cp = 'x';
        appendUtf8(out, cp);
    }
    return out;
}

std::string HostileText::invalidBytes(size_t count)
{
    static const std::string samples[] = {
        "\xc0\xaf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf",  // overlong '/'
        "\xed\xa0\x80",                                  // surrogate
        "\xf4\x90\x80\x80",                              // above U+10FFFF
        "\xc3",                                          // cut short
        "\x80",                                          // lone continuation
        "\xff", "\xfe",
    };
    std::string out;
    for (size_t i = 0; i < count; ++i)
        out += samples[pick(std::size(samples))];
    return out;
}

std::string HostileText::next()
{
    switch (pick(8)) {
    case 0: return {};
    case 1: return "web" + codePoints(1, false);  // valid UTF-8, one disallowed character
    case 2: return codePoints(1 + pick(16), true);
    case 3: return codePoints(pick(2000), true);
    case 4: return std::string(pick(64 * 1024 + 1), 'a');
    case 5: return codePoints(pick(16 * 1024), pick(2) == 0);
    case 6: return "ok" + invalidBytes(1 + pick(4)) + codePoints(pick(8), true);
    default: {
        // Up to 64 KiB of mixed text.
        std::string s;
        const size_t target = pick(64 * 1024 + 1);
        while (s.size() < target)
            s += codePoints(64, pick(4) != 0);
        return s;
    }
    }
}

bool HostileText::busCanCarry(const std::string& s)
{
    size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c == 0)
            return false;
        size_t n = c < 0x80 ? 1 : (c >= 0xc2 && c <= 0xdf) ? 2 : (c >= 0xe0 && c <= 0xef) ? 3 : (c >= 0xf0 && c <= 0xf4) ? 4 : 0;
        if (n == 0 || i + n > s.size())
            return false;
        uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
        for (size_t k = 1; k < n; ++k) {
            auto b = static_cast<unsigned char>(s[i + k]);
            if ((b & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (b & 0x3f);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
            return false;
        i += n;
    }
    return true;
}

uint64_t residentKiB(pid_t pid)
{
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(f, line);)
        if (line.rfind("VmRSS:", 0) == 0)
            return std::stoull(line.substr(6));
    return 0;
}

uint64_t fileSize(const std::string& path)
{
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

}  // namespace zenith::bustest
