// UPIDs as Proxmox writes them (PVE::Tools::upid_encode), and the malformed
// ones a broken or hostile server could send, whose parts would otherwise
// end up in the URL of the next poll.
#include <gtest/gtest.h>

#include "drivers/proxmox/client/upid.h"

namespace zenith::drivers::proxmox {
namespace {

TEST(ProxmoxUpid, ParsesACloneTaskStartedByAToken)
{
    auto u = parseUpid("UPID:pve2:000A1B2C:0123ABCD:6745F0A1:vzclone:9000:mpanel@pve!automation:");
    ASSERT_TRUE(u) << u.error().message;
    EXPECT_EQ(u->node, "pve2");
    EXPECT_EQ(u->pid, 0x000A1B2Cu);
    EXPECT_EQ(u->pstart, 0x0123ABCDu);
    EXPECT_EQ(u->startTime, 0x6745F0A1u);
    EXPECT_EQ(u->type, "vzclone");
    EXPECT_EQ(u->id, "9000");
    EXPECT_EQ(u->user, "mpanel@pve!automation");
    EXPECT_EQ(u->text, "UPID:pve2:000A1B2C:0123ABCD:6745F0A1:vzclone:9000:mpanel@pve!automation:");
}

TEST(ProxmoxUpid, NinehexDigitPstartAndAnEmptyIdAreValid)
{
    // pstart grows past 8 digits on a long-running node; vzdump of several
    // guests has no id.
    auto u = parseUpid("UPID:node-1:00001234:1ABCDEF01:6745F0A1:vzdump::root@pam:");
    ASSERT_TRUE(u) << u.error().message;
    EXPECT_EQ(u->pstart, 0x1ABCDEF01u);
    EXPECT_EQ(u->id, "");
    EXPECT_EQ(u->node, "node-1");
}

TEST(ProxmoxUpid, MalformedOnesAreTheServersFault)
{
    for (const char* bad : {
             "",
             "UPID:pve1:00001234:0123ABCD:6745F0A1:qmcreate:100:root@pam",     // no trailing colon
             "UPID:pve1:00001234:0123ABCD:6745F0A1:qmcreate:100:root@pam::",   // one field too many
             "TASK:pve1:00001234:0123ABCD:6745F0A1:qmcreate:100:root@pam:",    // wrong tag
             "UPID:pve/../x:00001234:0123ABCD:6745F0A1:qmcreate:100:root@pam:", // a path in the node
             "UPID:-pve1:00001234:0123ABCD:6745F0A1:qmcreate:100:root@pam:",   // node starts with '-'
             "UPID::00001234:0123ABCD:6745F0A1:qmcreate:100:root@pam:",        // no node
             "UPID:pve1:1234:0123ABCD:6745F0A1:qmcreate:100:root@pam:",        // pid not 8 digits
             "UPID:pve1:0000123G:0123ABCD:6745F0A1:qmcreate:100:root@pam:",    // not hex
             "UPID:pve1:00001234:0123ABCD0AB:6745F0A1:qmcreate:100:root@pam:", // pstart 11 digits
             "UPID:pve1:00001234:0123ABCD:6745F0A:qmcreate:100:root@pam:",     // start time 7 digits
             "UPID:pve1:00001234:0123ABCD:6745F0A1::100:root@pam:",            // no type
             "UPID:pve1:00001234:0123ABCD:6745F0A1:qm create:100:root@pam:",   // space in type
             "UPID:pve1:00001234:0123ABCD:6745F0A1:qmcreate:100::",            // no user
             "UPID:pve1:00001234:0123ABCD:6745F0A1:qmcreate:1\n00:root@pam:",  // control byte
         }) {
        auto u = parseUpid(bad);
        EXPECT_FALSE(u) << bad;
        if (!u) {
            EXPECT_EQ(u.error().code, core::ErrorCode::BackendFailed) << bad;
            EXPECT_NE(u.error().message.find("malformed task id"), std::string::npos) << u.error().message;
        }
    }
}

TEST(ProxmoxUpid, AnOverlongOneIsRefusedAndNotEchoedWhole)
{
    std::string longId(2000, '7');
    auto u = parseUpid("UPID:pve1:00001234:0123ABCD:6745F0A1:qmcreate:" + longId + ":root@pam:");
    ASSERT_FALSE(u);
    EXPECT_LT(u.error().message.size(), 300u);
}

}  // namespace
}  // namespace zenith::drivers::proxmox
