#include "net/tunnel_support.h"

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <sys/socket.h>

#include <future>
#include <memory>
#include <vector>

namespace zenith::net {

namespace {

struct SocketCloser {
    void operator()(mnl_socket* s) const { mnl_socket_close(s); }
};

// RTM_NEWLINK "zsitprobe" of kind sit, with an acknowledgement: 0 when
// made, else the kernel's negative errno (-EOPNOTSUPP: no such kind).
int makeSitLink()
{
    std::unique_ptr<mnl_socket, SocketCloser> nl(mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC));
    if (!nl || mnl_socket_bind(nl.get(), 0, MNL_SOCKET_AUTOPID) < 0)
        return -1;
    std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
    nlh->nlmsg_type = RTM_NEWLINK;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
    nlh->nlmsg_seq = 1;
    auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
    ifi->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(nlh, IFLA_IFNAME, "zsitprobe");
    nlattr* info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "sit");
    mnl_attr_nest_end(nlh, info);
    if (mnl_socket_sendto(nl.get(), nlh, nlh->nlmsg_len) < 0)
        return -1;
    ssize_t n = mnl_socket_recvfrom(nl.get(), buf.data(), buf.size());
    if (n < 0)
        return -1;
    const auto* reply = reinterpret_cast<const nlmsghdr*>(buf.data());
    if (!mnl_nlmsg_ok(reply, static_cast<int>(n)) || reply->nlmsg_type != NLMSG_ERROR)
        return -1;
    return static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(reply))->error;
}

}  // namespace

bool kernelMakesSitLinks()
{
    // unshare moves only the calling thread; the namespace (and the link)
    // go when that thread ends.
    return std::async(std::launch::async, [] {
               if (::unshare(CLONE_NEWNET) != 0)
                   return false;
               return makeSitLink() == 0;
           }).get();
}

}  // namespace zenith::net
