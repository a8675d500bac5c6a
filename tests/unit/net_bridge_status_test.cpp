// bridgeStatus asks the kernel of the caller's network namespace. The test
// makes one of its own on a thread of its own (unshare moves only the
// calling thread; ip(8), forked by it, joins it) with a real bridge, a veth
// pair and addresses; the host's links are not touched.
#include <sched.h>

#include <chrono>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "drivers/process.h"
#include "net/bridge_status.h"

using zenith::net::BridgeStatus;
using zenith::net::bridgeStatus;
using namespace std::chrono_literals;

namespace {

bool ip(const std::vector<std::string>& args)
{
    zenith::drivers::RunOptions o;
    o.argv = {"ip"};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    auto st = zenith::drivers::runProcess(o);
    return st && st->code == 0;
}

struct Seen {
    bool ready = false;
    std::string error;
    std::vector<BridgeStatus> before;  // a bridge without ports, down
    std::vector<BridgeStatus> after;   // with an up port
};

const std::vector<std::string> kAsked{"zt-br0", "zt-missing", "zt-b", "lo"};

}  // namespace

TEST(NetBridgeStatus, StateAddressesAndPortsOfTheNamedBridges)
{
    auto seen = std::async(std::launch::async, [] {
        Seen s;
        if (::unshare(CLONE_NEWNET) != 0)
            return s;
        for (const auto& argv : std::vector<std::vector<std::string>>{
                 {"link", "add", "zt-br0", "type", "bridge"},
                 {"address", "add", "10.9.0.1/24", "dev", "zt-br0"},
                 {"address", "add", "fd09::1/64", "dev", "zt-br0", "nodad"},
                 {"address", "add", "10.9.1.1/16", "dev", "zt-br0"},
                 {"link", "set", "zt-br0", "up"}})
            if (!ip(argv))
                return s;
        s.ready = true;
        auto before = bridgeStatus(kAsked);
        if (!before) {
            s.error = before.error().message;
            return s;
        }
        s.before = *before;
        if (!ip({"link", "add", "zt-a", "type", "veth", "peer", "name", "zt-b"}) ||
            !ip({"link", "set", "zt-a", "master", "zt-br0", "up"}) || !ip({"link", "set", "zt-b", "up"}))
            return s;
        // With STP off the port forwards at once, and the bridge has a
        // carrier a moment later: waited for, not a speed goal.
        for (int i = 0; i < 300; ++i) {
            auto after = bridgeStatus(kAsked);
            if (!after) {
                s.error = after.error().message;
                return s;
            }
            s.after = *after;
            if (s.after[0].state == "up")
                break;
            std::this_thread::sleep_for(10ms);
        }
        return s;
    }).get();
    ASSERT_TRUE(seen.ready) << "no network namespace or ip(8) here";
    ASSERT_EQ(seen.error, "");
    ASSERT_EQ(seen.before.size(), 4u);
    // Up but without a port: the kernel does not call it up (this kernel
    // says unknown until a port has come and gone, then down).
    EXPECT_EQ(seen.before[0].name, "zt-br0");
    EXPECT_TRUE(seen.before[0].state == "unknown" || seen.before[0].state == "down") << seen.before[0].state;
    // IPv4 first; the IPv6 link-local address the kernel adds is left out.
    EXPECT_EQ(seen.before[0].addresses, (std::vector<std::string>{"10.9.0.1/24", "10.9.1.1/16", "fd09::1/64"}));
    EXPECT_TRUE(seen.before[0].ports.empty());
    EXPECT_EQ(seen.before[1].name, "zt-missing");
    EXPECT_EQ(seen.before[1].state, "missing");
    EXPECT_EQ(seen.before[2].state, "missing");  // zt-b is made later
    EXPECT_EQ(seen.before[3].state, "not-a-bridge");
    EXPECT_TRUE(seen.before[3].ports.empty());

    ASSERT_EQ(seen.after.size(), 4u);
    EXPECT_EQ(seen.after[0].state, "up");
    ASSERT_EQ(seen.after[0].ports.size(), 1u);
    EXPECT_EQ(seen.after[0].ports[0].link, "zt-a");
    EXPECT_EQ(seen.after[0].ports[0].state, "up");
    EXPECT_EQ(seen.after[2].state, "not-a-bridge");  // a veth, even one whose peer is a port
    EXPECT_TRUE(seen.after[2].addresses.empty());

    // The host's namespace has none of them.
    auto host = bridgeStatus({"zt-br0"});
    ASSERT_TRUE(host) << host.error().message;
    EXPECT_EQ((*host)[0].state, "missing");
}
