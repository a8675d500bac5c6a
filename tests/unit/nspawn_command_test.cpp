#include <gtest/gtest.h>

#include "drivers/nspawn/nspawn_command.h"
#include "drivers/nspawn/rootfs_clone.h"

using namespace zenith::drivers;
using namespace zenith::drivers::nspawn;

TEST(NspawnCommand, SupervisedArgvWithoutSystemd)
{
    RunTarget t{"web1", "/var/lib/machines/web1", "/var/lib/machines/web1.nspawn", 150, 1ull << 30};
    Argv expected{"systemd-nspawn",     "--boot",         "--keep-unit",
                  "--register=no",      "--quiet",        "--directory=/var/lib/machines/web1",
                  "--machine=web1",     "--settings=trusted", "--notify-ready=yes",
                  "--link-journal=no",  "--console=read-only"};
    // Limits are recorded only: without systemd there is no scope to put them on.
    EXPECT_EQ(nspawnArgv(t, false), expected);
}

TEST(NspawnCommand, OnASystemdHostLimitsGoOnTheScope)
{
    RunTarget t{"web1", "/m/web1", "/m/web1.nspawn", 150, 1073741824};
    Argv expected{"systemd-nspawn",      "--boot",           "--register=yes",      "--quiet",
                  "--directory=/m/web1", "--machine=web1",   "--settings=trusted",  "--notify-ready=yes",
                  "--link-journal=no",   "--console=read-only", "--property=CPUQuota=150%",
                  "--property=MemoryMax=1073741824"};
    EXPECT_EQ(nspawnArgv(t, true), expected);

    RunTarget unlimited{"db", "/m/db", "/m/db.nspawn"};
    auto argv = nspawnArgv(unlimited, true);
    for (const auto& a : argv)
        EXPECT_FALSE(a.starts_with("--property")) << a;
}

TEST(NspawnCommand, CopyArgvEndsOptionsBeforePaths)
{
    EXPECT_EQ(copyTreeArgv("/s/images/debian-bookworm-amd64", "/m/.#web1.partial"),
              (Argv{"cp", "-a", "--reflink=auto", "--", "/s/images/debian-bookworm-amd64", "/m/.#web1.partial"}));
}
