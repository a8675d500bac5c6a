// The sit probe says what ip(8) finds when it makes a sit link, in a
// network namespace of the test's own (this test machine's kernel has no
// sit module, others do: the two must agree either way).
#include <sched.h>

#include <future>

#include <gtest/gtest.h>

#include "drivers/process.h"
#include "net/tunnel_support.h"

TEST(NetTunnelSupport, TheSitProbeAgreesWithIp)
{
    auto ipMakesOne = std::async(std::launch::async, [] {
        if (::unshare(CLONE_NEWNET) != 0)
            return -1;
        zenith::drivers::RunOptions o;
        o.argv = {"ip", "link", "add", "ztest-sit", "type", "sit"};
        auto st = zenith::drivers::runProcess(o);
        return st ? st->code : -1;
    }).get();
    ASSERT_GE(ipMakesOne, 0) << "no network namespace or ip(8) here";
    EXPECT_EQ(zenith::net::kernelMakesSitLinks(), ipMakesOne == 0);
    // Asked twice, the same (the probe's link went with its namespace).
    EXPECT_EQ(zenith::net::kernelMakesSitLinks(), ipMakesOne == 0);
}
