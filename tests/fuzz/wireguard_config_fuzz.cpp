// A WireGuard config as a caller sends it (the spec key wireguard_config):
// any bytes through parseWireguardConfig, with hooks refused and allowed,
// and what it accepts through renderWireguardConfig and back.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/text_quote.h"
#include "net/wireguard_config.h"

namespace {

using namespace zenith::net;

[[noreturn]] void fault(const char* what, std::string_view detail)
{
    std::fprintf(stderr, "%s: %.*s\n", what, static_cast<int>(detail.size()), detail.data());
    std::abort();
}

std::string_view trim(std::string_view s)
{
    auto first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos)
        return {};
    return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

bool isKeyKey(std::string_view key)
{
    std::string lower(key);
    for (char& c : lower)
        c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    return lower == "privatekey" || lower == "presharedkey";
}

// The value of every PrivateKey and PresharedKey line, read the way
// wg-quick reads a line (comment cut at '#', blanks trimmed, split at '=').
std::vector<std::string_view> keyValues(std::string_view text)
{
    std::vector<std::string_view> out;
    while (!text.empty()) {
        auto line = text.substr(0, text.find('\n'));
        text.remove_prefix(std::min(text.size(), line.size() + 1));
        if (line.ends_with('\r'))
            line.remove_suffix(1);
        line = line.substr(0, line.find('#'));
        auto eq = line.find('=');
        if (eq != std::string_view::npos && isKeyKey(trim(line.substr(0, eq))))
            out.push_back(trim(line.substr(eq + 1)));
    }
    return out;
}

// A value no fixed wording of a message holds by chance: 8 or more base64
// characters, one of them a digit, '+', '/' or '=' (a real key always is).
// The messages' own words are letters, and their numbers are shorter.
bool distinctive(std::string_view v)
{
    bool special = false;
    for (char c : v) {
        bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
        bool other = (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
        if (!letter && !other)
            return false;
        special = special || other;
    }
    return v.size() >= 8 && special;
}

// wireguard_config.h: InvalidArgs, "wireguard_config: ...", no key value;
// text_quote.h: one line of valid UTF-8 that fits a message.
void checkError(const zenith::core::Error& error, std::string_view text)
{
    const std::string& m = error.message;
    if (error.code != zenith::core::ErrorCode::InvalidArgs || !m.starts_with("wireguard_config: "))
        fault("an error of the wrong kind", m);
    if (zenith::core::toSingleLine(m, zenith::core::kMaxMessageBytes) != m)
        fault("an error that is not one line of valid UTF-8", m);
    for (auto value : keyValues(text))
        if (distinctive(value) && m.find(value) != std::string::npos)
            fault("an error shows a key value", m);
}

std::string render(const WireguardConfig& config) { return renderWireguardConfig(config).reveal(); }

// The canonical text parses again (hooks allowed: the daemon's config
// allowed them if it has any) to the same config, which renders the same.
void checkRoundTrip(const WireguardConfig& config)
{
    const std::string text = render(config);
    auto again = parseWireguardConfig(text, WireguardRules{.allowHooks = true});
    if (!again)
        fault("the rendering of an accepted config is refused", again.error().message);
    if (render(*again) != text)
        fault("the rendering changes when parsed again", text);
    if (config.peers.empty() || config.addresses.empty() || config.privateKey.reveal().size() != 44)
        fault("an accepted config lacks a peer, an address or its key", text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto strict = parseWireguardConfig(text, WireguardRules{});
    auto hooks = parseWireguardConfig(text, WireguardRules{.allowHooks = true});
    if (!strict)
        checkError(strict.error(), text);
    if (!hooks)
        checkError(hooks.error(), text);
    if (hooks)
        checkRoundTrip(*hooks);
    // The rule only refuses hook keys: what it accepts has none, and without
    // hook keys it changes nothing.
    if (strict && (!hooks || !strict->hooks.empty() || render(*strict) != render(*hooks)))
        fault("a config accepted only with hooks refused", text);
    if (hooks && hooks->hooks.empty() && !strict)
        fault("a config without hooks refused because hooks are", strict.error().message);
    return 0;
}
