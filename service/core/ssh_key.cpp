#include "core/ssh_key.h"

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace zenith::core {

namespace {

constexpr std::array<std::string_view, 8> kKeyTypes{
    "ssh-ed25519",         "ssh-rsa",
    "ssh-dss",             "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
};

int base64Digit(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

// Strict RFC 4648 decoding with padding, as ssh-keygen writes it.
std::optional<std::string> decodeBase64(std::string_view in)
{
    if (in.empty() || in.size() % 4 != 0)
        return std::nullopt;
    size_t pad = 0;
    while (pad < 2 && in.size() > pad && in[in.size() - 1 - pad] == '=')
        ++pad;
    std::string out;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < in.size() - pad; ++i) {
        int d = base64Digit(in[i]);
        if (d < 0)
            return std::nullopt;
        acc = (acc << 6) | static_cast<uint32_t>(d);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xff);
        }
    }
    return out;
}

std::vector<std::string_view> splitWords(std::string_view line)
{
    std::vector<std::string_view> words;
    size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
            ++i;
        size_t start = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t')
            ++i;
        if (i > start)
            words.push_back(line.substr(start, i - start));
    }
    return words;
}

bool isKeyType(std::string_view word)
{
    for (auto t : kKeyTypes)
        if (t == word)
            return true;
    return false;
}

}  // namespace

bool looksLikeSshPublicKey(std::string_view line)
{
    for (unsigned char c : line)
        if (c < 0x20 && c != '\t')
            return false;
    auto words = splitWords(line);
    for (size_t i = 0; i + 1 < words.size(); ++i) {
        if (!isKeyType(words[i]))
            continue;
        auto blob = decodeBase64(words[i + 1]);
        if (!blob || blob->size() < 4 + words[i].size())
            return false;
        // The blob starts with the key type as an SSH string (u32 length + bytes).
        auto u = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>((*blob)[k])); };
        uint32_t len = (u(0) << 24) | (u(1) << 16) | (u(2) << 8) | u(3);
        return len == words[i].size() && std::string_view(*blob).substr(4, len) == words[i];
    }
    return false;
}

}  // namespace zenith::core
