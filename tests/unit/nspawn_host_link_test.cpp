// bootWithHostLink against a runner that plays systemd-nspawn: its start
// makes the veth named in the settings (ip link add), as nspawn's
// VirtualEthernetExtra= does. Each test runs on a thread of its own in a
// network namespace of its own (threads it starts share it), so the host's
// links are never touched.
#include <sched.h>

#include <algorithm>
#include <future>

#include <gtest/gtest.h>

#include "drivers/nspawn/host_link.h"
#include "drivers/process.h"

namespace zenith::drivers::nspawn {
namespace {

using core::ErrorCode;
using namespace std::chrono_literals;

bool ip(const std::vector<std::string>& args, std::string* out = nullptr)
{
    RunOptions o;
    o.argv = {"ip"};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    if (out)
        o.onStdout = [out](std::string_view line) { out->append(line).append("\n"); };
    auto st = runProcess(o);
    return st && st->code == 0;
}

class LinkMakingRunner final : public MachineRunner {
public:
    core::Result<void> start(const RunTarget& t, std::stop_token, std::chrono::seconds) override
    {
        ++starts;
        if (!makeLink.empty() && !ip({"link", "add", makeLink, "type", "veth", "peer", "name", "host0-" + t.name}))
            return core::fail(ErrorCode::BackendFailed, "ip link add failed");
        if (fail)
            return core::fail(ErrorCode::BackendFailed, "the container did not boot");
        return {};
    }
    core::Result<void> stop(const RunTarget&, std::chrono::seconds) override { return {}; }
    core::Result<void> kill(const RunTarget&) override
    {
        ++kills;
        return {};
    }
    bool isRunning(const RunTarget&) override { return false; }
    int leaderPid(const RunTarget&) override { return 0; }
    void setExitListener(std::function<void(const std::string&)>) override {}

    std::string makeLink;  // what systemd-nspawn would make
    bool fail = false;
    int starts = 0, kills = 0;
};

struct Outcome {
    bool ready = false;
    core::Result<void> result;
    int starts = 0, kills = 0;
    std::string ports;  // `ip -o link show master zbr0`
};

// Boots `t` in a fresh namespace that has a bridge zbr0 and, when
// `existing` is set, a link of that name made beforehand (a bridge: no
// dummy driver in this kernel).
Outcome boot(RunTarget t, std::string makeLink, bool fail = false, std::string existing = {})
{
    return std::async(std::launch::async, [&] {
        Outcome o;
        if (::unshare(CLONE_NEWNET) != 0 || !ip({"link", "add", "zbr0", "type", "bridge"}) ||
            (!existing.empty() && !ip({"link", "add", existing, "type", "bridge"})))
            return o;
        o.ready = true;
        LinkMakingRunner runner;
        runner.makeLink = makeLink;
        runner.fail = fail;
        o.result = bootWithHostLink(runner, t, {}, 30s);
        o.starts = runner.starts;
        o.kills = runner.kills;
        ip({"-o", "link", "show", "master", "zbr0"}, &o.ports);
        return o;
    }).get();
}

RunTarget target(std::string hostLink, std::string bridge = "zbr0")
{
    RunTarget t;
    t.name = "web";
    t.hostLink = std::move(hostLink);
    t.bridge = std::move(bridge);
    return t;
}

TEST(NspawnHostLink, NamesComeFromTheNumber)
{
    EXPECT_EQ(hostLinkName(1), "vi1");
    EXPECT_EQ(hostLinkName(4294967295u), "vi4294967295");  // 12 bytes: fits IFNAMSIZ
    EXPECT_EQ(hostLinkName(0), "");
}

TEST(NspawnHostLink, TheLinkNspawnMakesBecomesAnUpPortOfTheBridge)
{
    auto o = boot(target("vi7"), "vi7");
    ASSERT_TRUE(o.ready) << "no network namespace or ip(8) here";
    ASSERT_TRUE(o.result) << o.result.error().message;
    EXPECT_EQ(o.starts, 1);
    EXPECT_EQ(o.kills, 0);
    EXPECT_EQ(std::count(o.ports.begin(), o.ports.end(), '\n'), 1) << o.ports;
    EXPECT_NE(o.ports.find(" vi7@host0-web: <"), std::string::npos) << o.ports;
    EXPECT_NE(o.ports.find(",UP"), std::string::npos) << o.ports;
}

TEST(NspawnHostLink, AnExistingLinkOfThatNameIsRefusedBeforeTheBoot)
{
    auto o = boot(target("vi7"), "", false, "vi7");
    ASSERT_TRUE(o.ready);
    ASSERT_FALSE(o.result);
    EXPECT_EQ(o.result.error().code, ErrorCode::BackendFailed);
    EXPECT_EQ(o.result.error().message,
              "cannot start web: a link named vi7 exists already on the host, and it is not this machine's");
    EXPECT_EQ(o.starts, 0);
    EXPECT_EQ(o.ports, "");  // the stranger's link was not put on the bridge
}

TEST(NspawnHostLink, AMachineWhoseLinkCannotJoinTheBridgeIsKilled)
{
    auto o = boot(target("vi7", "zbr-missing"), "vi7");
    ASSERT_TRUE(o.ready);
    ASSERT_FALSE(o.result);
    EXPECT_EQ(o.result.error().code, ErrorCode::BackendFailed);
    EXPECT_EQ(o.result.error().message.rfind("web was killed again: cannot attach vi7 to bridge zbr-missing: ", 0),
              0u)
        << o.result.error().message;
    EXPECT_EQ(o.kills, 1);
}

TEST(NspawnHostLink, AFailedBootIsPassedOnAsItIs)
{
    auto o = boot(target("vi7"), "", true);
    ASSERT_TRUE(o.ready);
    ASSERT_FALSE(o.result);
    EXPECT_EQ(o.result.error().message, "the container did not boot");
    EXPECT_EQ(o.kills, 0);
}

TEST(NspawnHostLink, WithoutABridgeTheRunnerAloneBoots)
{
    auto o = boot(target("", ""), "");
    ASSERT_TRUE(o.ready);
    EXPECT_TRUE(o.result);
    EXPECT_EQ(o.starts, 1);
    EXPECT_EQ(o.ports, "");
}

}  // namespace
}  // namespace zenith::drivers::nspawn
