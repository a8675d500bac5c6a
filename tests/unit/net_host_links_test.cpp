// linkKind asks the kernel in the caller's own network namespace. The test
// makes a namespace of its own (on a thread of its own: unshare moves only
// the calling thread) and a real bridge in it; the host's links are not
// touched.
#include <sched.h>

#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "drivers/process.h"
#include "net/host_links.h"

using zenith::net::LinkKind;
using zenith::net::linkKind;

namespace {

bool ip(const std::vector<std::string>& args)
{
    zenith::drivers::RunOptions o;
    o.argv = {"ip"};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    auto st = zenith::drivers::runProcess(o);
    return st && st->code == 0;
}

}  // namespace

TEST(NetHostLinks, BridgesOtherLinksAndMissingOnesInTheCallersNamespace)
{
    auto kinds = std::async(std::launch::async, [] {
        std::vector<LinkKind> out;
        if (::unshare(CLONE_NEWNET) != 0)
            return out;
        // Children forked by this thread (ip) join its namespace.
        if (!ip({"link", "add", "ztest-br0", "type", "bridge"}) ||
            !ip({"link", "add", "ztest-veth0", "type", "veth", "peer", "name", "ztest-veth1"}))
            return out;
        for (const char* name : {"ztest-br0", "ztest-veth0", "lo", "ztest-none", ""})
            out.push_back(linkKind(name));
        return out;  // the namespace goes with the thread
    });
    EXPECT_EQ(kinds.get(), (std::vector<LinkKind>{LinkKind::Bridge, LinkKind::Other, LinkKind::Other,
                                                   LinkKind::Missing, LinkKind::Missing}));
    // Not in the host's namespace.
    EXPECT_EQ(linkKind("ztest-br0"), LinkKind::Missing);
}
