// The project's nftables table applied for real through libnftables, in a
// network namespace of the test's own (on a thread of its own: unshare moves
// only the calling thread, and libnftables' netlink socket is opened by it).
// The host's ruleset is never touched.
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <future>

#include <gtest/gtest.h>

#include "net/nft_table.h"

namespace zenith::net {
namespace {

struct Seen {
    bool ready = false;
    std::string error;
    std::string atFirst, afterEmpty, withRules, replaced, afterRemoval;
    std::string otherAfterRemoval;
    char forwarding = 0;
    std::string refused;
};

std::string ruleset()
{
    auto ctxTables = listNatTable();
    return ctxTables ? *ctxTables : "error: " + ctxTables.error().message;
}

char ipForward()
{
    char c = 0;
    int fd = ::open("/proc/sys/net/ipv4/ip_forward", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        (void)::read(fd, &c, 1);
        ::close(fd);
    }
    return c;
}

TEST(NetNftTable, TheTableHoldsExactlyTheRulesAndNothingElseIsTouched)
{
    auto seen = std::async(std::launch::async, [] {
        Seen s;
        if (::unshare(CLONE_NEWNET) != 0)
            return s;
        s.ready = true;
        auto step = [&](const core::NatRules& rules, std::string& out) {
            if (auto r = applyNatRules(rules); !r)
                s.error += r.error().message + "\n";
            out = ruleset();
        };
        s.atFirst = ruleset();
        step({}, s.afterEmpty);
        // Someone else's table, which must outlive every change of ours.
        if (auto r = runNftScript("table ip other {\n\tchain c {\n\t}\n}\n"); !r)
            s.error += r.error().message + "\n";
        core::NatRules rules;
        rules.forwards = {{"web", "tcp", 8022, "10.77.0.10", 22}};
        rules.masquerade = {{"lab", "10.77.0.0/24"}};
        step(rules, s.withRules);
        s.forwarding = ipForward();
        rules.forwards = {{"db", "udp", 5353, "10.77.0.11", 53}};
        rules.masquerade.clear();
        step(rules, s.replaced);
        step({}, s.afterRemoval);
        auto r = runNftScript("list table ip other");
        s.otherAfterRemoval = r ? "kept" : r.error().message;
        auto bad = runNftScript("add rule inet zenith nowhere accept");
        s.refused = bad ? "accepted" : bad.error().message;
        return s;
    }).get();
    ASSERT_TRUE(seen.ready) << "no network namespace here";
    EXPECT_EQ(seen.error, "");
    EXPECT_EQ(seen.atFirst, "");
    EXPECT_EQ(seen.afterEmpty, "");  // nothing made for nothing
    EXPECT_EQ(seen.withRules,
              "table inet zenith {\n"
              "\tchain prerouting {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
              "\t\tfib daddr type local tcp dport 8022 dnat ip to 10.77.0.10:22 comment \"web\"\n\t}\n\n"
              "\tchain output {\n\t\ttype nat hook output priority -100; policy accept;\n"
              "\t\tfib daddr type local tcp dport 8022 dnat ip to 10.77.0.10:22 comment \"web\"\n\t}\n\n"
              "\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
              "\t\tip saddr 10.77.0.0/24 ip daddr != 10.77.0.0/24 masquerade comment \"pool lab\"\n\t}\n"
              "}\n");
    EXPECT_EQ(seen.forwarding, '1');
    // Replaced as a whole: web's forward and the masquerade are gone.
    EXPECT_EQ(seen.replaced.find("8022"), std::string::npos) << seen.replaced;
    EXPECT_EQ(seen.replaced.find("masquerade"), std::string::npos) << seen.replaced;
    EXPECT_NE(seen.replaced.find("udp dport 5353 dnat ip to 10.77.0.11:53 comment \"db\""), std::string::npos)
        << seen.replaced;
    EXPECT_EQ(seen.afterRemoval, "");
    EXPECT_EQ(seen.otherAfterRemoval, "kept");
    EXPECT_EQ(seen.refused.rfind("nftables refused the change: ", 0), 0u) << seen.refused;
    // The host's namespace never had ours.
    EXPECT_EQ(ruleset(), "");
}

}  // namespace
}  // namespace zenith::net
