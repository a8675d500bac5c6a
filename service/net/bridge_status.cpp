#include "net/bridge_status.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include <fmt/format.h>

namespace zenith::net {

namespace {

struct Link {
    std::string name;
    std::string kind;  // IFLA_INFO_KIND: "bridge", "veth", ... ("" for none)
    uint8_t operstate = IF_OPER_UNKNOWN;
    uint32_t master = 0;  // ifindex of its bridge, 0 for none
    std::vector<std::string> addresses;
};

std::string operstateName(uint8_t state)
{
    switch (state) {
    case IF_OPER_NOTPRESENT: return "notpresent";
    case IF_OPER_DOWN: return "down";
    case IF_OPER_LOWERLAYERDOWN: return "lowerlayerdown";
    case IF_OPER_TESTING: return "testing";
    case IF_OPER_DORMANT: return "dormant";
    case IF_OPER_UP: return "up";
    default: return "unknown";
    }
}

// The kernel fills a dump's datagrams up to 32 KiB when the reader's buffer
// allows (what libmnl's later MNL_SOCKET_DUMP_SIZE names); a smaller buffer
// would cut a message off.
constexpr size_t kDumpBufferBytes = 32768;

using MessageHandler = std::function<void(const nlmsghdr*)>;

int onMessage(const nlmsghdr* nlh, void* data)
{
    (*static_cast<MessageHandler*>(data))(nlh);
    return MNL_CB_OK;
}

struct SocketCloser {
    void operator()(mnl_socket* s) const { mnl_socket_close(s); }
};

// One NLM_F_DUMP request of `type` with its family header; every message of
// the answer goes to `handle`.
core::Result<void> dump(mnl_socket* nl, uint16_t type, const void* header, size_t headerSize, uint32_t seq,
                        MessageHandler handle)
{
    std::vector<char> buf(kDumpBufferBytes);
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    nlh->nlmsg_seq = seq;
    std::memcpy(mnl_nlmsg_put_extra_header(nlh, headerSize), header, headerSize);
    auto failed = [](const char* what) {
        return core::fail(core::ErrorCode::BackendFailed,
                          fmt::format("cannot read the host's links: netlink {}: {}", what, std::strerror(errno)));
    };
    if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
        return failed("send");
    const unsigned portid = mnl_socket_get_portid(nl);
    for (;;) {
        ssize_t n = mnl_socket_recvfrom(nl, buf.data(), buf.size());
        if (n < 0)
            return failed("receive");
        int r = mnl_cb_run(buf.data(), static_cast<size_t>(n), seq, portid, onMessage, &handle);
        if (r == MNL_CB_ERROR)
            return failed("dump");
        if (r == MNL_CB_STOP)
            return {};
    }
}

// libmnl's attribute walks take a C callback; each calls a lambda of ours
// (its macros cannot be used from C++: they assign a void*).
using AttrHandler = std::function<void(const nlattr*)>;

int onAttr(const nlattr* attr, void* data)
{
    (*static_cast<AttrHandler*>(data))(attr);
    return MNL_CB_OK;
}

void forEachAttr(const nlmsghdr* nlh, size_t headerSize, AttrHandler handle)
{
    mnl_attr_parse(nlh, static_cast<unsigned>(headerSize), onAttr, &handle);
}

// IFLA_INFO_KIND inside IFLA_LINKINFO.
std::string kindOf(const nlattr* linkinfo)
{
    std::string kind;
    AttrHandler handle = [&](const nlattr* attr) {
        if (mnl_attr_get_type(attr) == IFLA_INFO_KIND && mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
            kind = mnl_attr_get_str(attr);
    };
    mnl_attr_parse_nested(linkinfo, onAttr, &handle);
    return kind;
}

void addLink(const nlmsghdr* nlh, std::map<uint32_t, Link>& links)
{
    const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
    Link link;
    forEachAttr(nlh, sizeof *ifi, [&](const nlattr* attr) {
        switch (mnl_attr_get_type(attr)) {
        case IFLA_IFNAME:
            if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
                link.name = mnl_attr_get_str(attr);
            break;
        case IFLA_OPERSTATE:
            if (mnl_attr_validate(attr, MNL_TYPE_U8) >= 0)
                link.operstate = mnl_attr_get_u8(attr);
            break;
        case IFLA_MASTER:
            if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
                link.master = mnl_attr_get_u32(attr);
            break;
        case IFLA_LINKINFO:
            if (mnl_attr_validate(attr, MNL_TYPE_NESTED) >= 0)
                link.kind = kindOf(attr);
            break;
        default:
            break;
        }
    });
    links[static_cast<uint32_t>(ifi->ifi_index)] = std::move(link);
}

void addAddress(const nlmsghdr* nlh, std::map<uint32_t, Link>& links)
{
    const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
    const size_t size = ifa->ifa_family == AF_INET ? 4 : ifa->ifa_family == AF_INET6 ? 16 : 0;
    if (size == 0)
        return;
    // IPv4: IFA_LOCAL is the address itself (IFA_ADDRESS is the peer's on a
    // point-to-point link); IPv6 has only IFA_ADDRESS.
    const void* address = nullptr;
    const void* local = nullptr;
    forEachAttr(nlh, sizeof *ifa, [&](const nlattr* attr) {
        if (mnl_attr_get_payload_len(attr) != size)
            return;
        if (mnl_attr_get_type(attr) == IFA_ADDRESS)
            address = mnl_attr_get_payload(attr);
        else if (mnl_attr_get_type(attr) == IFA_LOCAL)
            local = mnl_attr_get_payload(attr);
    });
    const void* chosen = local ? local : address;
    auto it = links.find(ifa->ifa_index);
    if (!chosen || it == links.end())
        return;
    const auto* bytes = static_cast<const unsigned char*>(chosen);
    if (ifa->ifa_family == AF_INET6 && bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80)
        return;  // link-local
    char text[INET6_ADDRSTRLEN] = {};
    if (!::inet_ntop(ifa->ifa_family, chosen, text, sizeof text))
        return;
    it->second.addresses.push_back(fmt::format("{}/{}", text, ifa->ifa_prefixlen));
}

}  // namespace

core::Result<std::vector<BridgeStatus>> bridgeStatus(const std::vector<std::string>& names)
{
    std::unique_ptr<mnl_socket, SocketCloser> nl(mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC));
    if (!nl || mnl_socket_bind(nl.get(), 0, MNL_SOCKET_AUTOPID) < 0)
        return core::fail(core::ErrorCode::BackendFailed,
                          fmt::format("cannot read the host's links: netlink: {}", std::strerror(errno)));
    std::map<uint32_t, Link> links;
    ifinfomsg linkHeader{};
    linkHeader.ifi_family = AF_UNSPEC;
    if (auto r = dump(nl.get(), RTM_GETLINK, &linkHeader, sizeof linkHeader, 1,
                      [&](const nlmsghdr* m) {
                          if (m->nlmsg_type == RTM_NEWLINK)
                              addLink(m, links);
                      });
        !r)
        return std::unexpected(r.error());
    ifaddrmsg addressHeader{};
    addressHeader.ifa_family = AF_UNSPEC;
    if (auto r = dump(nl.get(), RTM_GETADDR, &addressHeader, sizeof addressHeader, 2,
                      [&](const nlmsghdr* m) {
                          if (m->nlmsg_type == RTM_NEWADDR)
                              addAddress(m, links);
                      });
        !r)
        return std::unexpected(r.error());

    std::vector<BridgeStatus> out;
    for (const auto& name : names) {
        BridgeStatus b{name, "missing", {}, {}};
        auto it = std::ranges::find_if(links, [&](const auto& l) { return l.second.name == name; });
        if (it != links.end()) {
            const Link& link = it->second;
            b.state = link.kind == "bridge" ? operstateName(link.operstate) : "not-a-bridge";
            b.addresses = link.addresses;
            // The kernel lists IPv4 addresses first already; kept stable anyway.
            std::ranges::stable_partition(b.addresses, [](const std::string& a) { return a.find(':') == a.npos; });
            if (link.kind == "bridge")
                for (const auto& [index, port] : links)
                    if (port.master == it->first)
                        b.ports.push_back({port.name, operstateName(port.operstate)});
            std::ranges::sort(b.ports, {}, &BridgePort::link);
        }
        out.push_back(std::move(b));
    }
    return out;
}

}  // namespace zenith::net
