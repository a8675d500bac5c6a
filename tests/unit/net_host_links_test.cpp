// linkKind asks the kernel in the caller's own network namespace. The test
// makes a namespace of its own (on a thread of its own: unshare moves only
// the calling thread) and a real bridge in it; the host's links are not
// touched.
#include <sched.h>

#include <algorithm>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "drivers/process.h"
#include "net/host_links.h"

using zenith::net::LinkKind;
using zenith::net::linkKind;

namespace {

bool ip(const std::vector<std::string>& args, std::string* out = nullptr)
{
    zenith::drivers::RunOptions o;
    o.argv = {"ip"};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    if (out)
        o.onStdout = [out](std::string_view line) { out->append(line).append("\n"); };
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

// The nspawn driver names a machine's host link itself and puts it on the
// bridge once nspawn has made it; attachToBridge is that step.
TEST(NetHostLinks, AttachToBridgeMakesTheLinkAnUpPortOfTheBridge)
{
    struct Seen {
        bool ready = false, existed = false, missingExists = true;
        std::string attached, missingError, notBridgeError, ports;
        zenith::core::ErrorCode missingCode{}, notBridgeCode{};
    };
    auto seen = std::async(std::launch::async, [] {
        Seen s;
        if (::unshare(CLONE_NEWNET) != 0 || !ip({"link", "add", "ztest-br0", "type", "bridge"}) ||
            !ip({"link", "add", "ztest-veth0", "type", "veth", "peer", "name", "ztest-veth1"}))
            return s;
        s.ready = true;
        s.existed = zenith::net::linkExists("ztest-veth0");
        s.missingExists = zenith::net::linkExists("ztest-none");
        auto ok = zenith::net::attachToBridge("ztest-veth0", "ztest-br0");
        s.attached = ok ? "ok" : ok.error().message;
        auto missing = zenith::net::attachToBridge("ztest-none", "ztest-br0");
        if (!missing) {
            s.missingCode = missing.error().code;
            s.missingError = missing.error().message;
        }
        auto notBridge = zenith::net::attachToBridge("ztest-veth1", "lo");
        if (!notBridge) {
            s.notBridgeCode = notBridge.error().code;
            s.notBridgeError = notBridge.error().message;
        }
        ip({"-o", "link", "show", "master", "ztest-br0"}, &s.ports);
        return s;
    });
    auto s = seen.get();
    ASSERT_TRUE(s.ready) << "no network namespace or ip(8) here";
    EXPECT_TRUE(s.existed);
    EXPECT_FALSE(s.missingExists);
    EXPECT_EQ(s.attached, "ok");
    // Exactly one port, the attached link, administratively up.
    EXPECT_NE(s.ports.find("ztest-veth0@ztest-veth1: <"), std::string::npos) << s.ports;
    EXPECT_NE(s.ports.find(",UP"), std::string::npos) << s.ports;
    EXPECT_EQ(std::count(s.ports.begin(), s.ports.end(), '\n'), 1) << s.ports;
    EXPECT_EQ(s.missingCode, zenith::core::ErrorCode::BackendFailed);
    EXPECT_EQ(s.missingError.rfind("cannot attach ztest-none to bridge ztest-br0: ", 0), 0u) << s.missingError;
    EXPECT_EQ(s.notBridgeCode, zenith::core::ErrorCode::BackendFailed);
    EXPECT_EQ(s.notBridgeError.rfind("cannot attach ztest-veth1 to bridge lo: ", 0), 0u) << s.notBridgeError;
    EXPECT_FALSE(zenith::net::linkExists("ztest-veth0"));  // not in the host's namespace
}
