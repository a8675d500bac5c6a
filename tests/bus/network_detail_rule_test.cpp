// Rules can be as narrow as a panel needs: tests/harness/40-zenith-test.rules
// lets the outsider clone only the template detail-golden (details `source`
// and `template`) and create detail-* machines that publish host ports
// 8000-8999 only (detail `host_ports`). Everything as DRY_RUN: the decision
// is what is tested, and a refused call must leave no job at all.
#include <gtest/gtest.h>

#include "child_process.h"
#include "daemon_view.h"
#include "sandbox_env.h"

namespace zenith::bustest {
namespace {

std::string asOutsider(const std::function<client::Result<client::Submitted>(client::Client&)>& call)
{
    return runAs(outsiderUser(), [&] {
        auto c = connectClient();
        auto made = call(c);
        if (!made) {
            return callErrorText(made.error());
        }
        return outcomeText(made->job.wait({}, std::chrono::seconds(30)));
    });
}

TEST(DetailRules, CloneOnlyTheGoldenTemplate)
{
    MachineCleanup golden("detail-golden"), plain("detail-plain");
    ASSERT_EQ(createStoppedAsRoot("detail-golden"), "done");
    ASSERT_EQ(createStoppedAsRoot("detail-plain"), "done");
    auto c = connectClient();
    auto t = c.makeTemplate("detail-golden");
    ASSERT_TRUE(t) << t.error().message;
    ASSERT_EQ(outcomeText(t->wait({}, std::chrono::minutes(1))), "done");

    EXPECT_EQ(asOutsider([](client::Client& c) { return c.clone("detail-golden", "detail-copy", {}, client::kFlagDryRun); }),
              "done");
    auto jobsBefore = jobIds();
    EXPECT_EQ(asOutsider([](client::Client& c) { return c.clone("detail-plain", "detail-copy", {}, client::kFlagDryRun); }),
              kAccessDenied);
    EXPECT_EQ(jobIds(), jobsBefore);
}

TEST(DetailRules, PublishOnlyTheAllowedHostPorts)
{
    auto withPorts = [](std::vector<client::PortForward> ports) {
        return [ports](client::Client& c) {
            // A forward leads to the machine's address on a bridge (zbus0 is
            // allowed by Bridges= and never made: a dry run needs no link).
            client::Spec spec = bookwormSpec();
            spec.setBridge("zbus0").setIpv4("10.1.10.95/24").setPorts(ports);
            return c.create("detail-web", "nspawn", spec, client::kFlagDryRun);
        };
    };
    EXPECT_EQ(asOutsider(withPorts({{"tcp", 8080, 80}, {"udp", 8053, 53}})), "done");
    EXPECT_EQ(asOutsider([](client::Client& c) {
                  return c.create("detail-web", "nspawn", bookwormSpec(), client::kFlagDryRun);
              }),
              "done");
    auto jobsBefore = jobIds();
    EXPECT_EQ(asOutsider(withPorts({{"tcp", 8080, 80}, {"tcp", 7000, 22}})), kAccessDenied);
    EXPECT_EQ(jobIds(), jobsBefore);
}

}  // namespace
}  // namespace zenith::bustest
