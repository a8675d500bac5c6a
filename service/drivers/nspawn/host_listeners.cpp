#include "drivers/nspawn/host_listeners.h"
#include "drivers/nspawn/host_file.h"

#include <charconv>
#include <sstream>

namespace zenith::drivers::nspawn {

namespace {

// /proc/net/tcp's `st` column (include/net/tcp_states.h).
constexpr std::string_view kTcpListen = "0A";
constexpr std::string_view kUdpUnconnected = "07";

}  // namespace

ListeningPorts parseProcNetTable(std::string_view text, std::string_view proto)
{
    ListeningPorts out;
    const std::string_view wanted = proto == "tcp" ? kTcpListen : kUdpUnconnected;
    std::istringstream in{std::string(text)};
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string slot, local, remote, state;
        if (!(fields >> slot >> local >> remote >> state) || state != wanted)
            continue;
        auto colon = local.rfind(':');
        if (colon == std::string::npos)
            continue;
        unsigned port = 0;
        auto [end, ec] = std::from_chars(local.data() + colon + 1, local.data() + local.size(), port, 16);
        if (ec != std::errc() || end != local.data() + local.size() || port == 0 || port > 65535)
            continue;
        out.emplace(std::string(proto), static_cast<uint16_t>(port));
    }
    return out;
}

ListeningPorts hostListeningPorts(const std::string& procNet)
{
    ListeningPorts all;
    for (auto [file, proto] : {std::pair{"tcp", "tcp"}, {"tcp6", "tcp"}, {"udp", "udp"}, {"udp6", "udp"}}) {
        // A missing table (no IPv6) reads as empty.
        all.merge(parseProcNetTable(readHostFile(procNet + "/" + file), proto));
    }
    return all;
}

}  // namespace zenith::drivers::nspawn
