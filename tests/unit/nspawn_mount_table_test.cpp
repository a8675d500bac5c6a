// Which mounts a killed debootstrap left in its target: mountinfo parsing.
#include <gtest/gtest.h>

#include "drivers/nspawn/mount_table.h"

using zenith::drivers::nspawn::mountPointsBelow;

namespace {

constexpr const char* kMountinfo =
    "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
    "23 22 0:21 / /proc rw,nosuid shared:2 - proc proc rw\n"
    "90 22 0:21 / /var/lib/zenith/images/.tmp-debian-bookworm-amd64-1a2b/proc rw - proc proc rw\n"
    "91 22 0:22 / /var/lib/zenith/images/.tmp-debian-bookworm-amd64-1a2b/sys rw - sysfs sysfs rw\n"
    "92 90 0:40 / /var/lib/zenith/images/.tmp-debian-bookworm-amd64-1a2b/proc/sys/fs/binfmt_misc rw - binfmt_misc b rw\n"
    // A sibling whose name merely starts the same is not below the target.
    "93 22 0:23 / /var/lib/zenith/images/.tmp-debian-bookworm-amd64-1a2bc/proc rw - proc proc rw\n"
    // The kernel writes a space in a mount point as \\040.
    "94 22 0:24 / /srv/with\\040space/target/dev/pts rw - devpts devpts rw\n";

TEST(MountTable, MountsBelowTheTargetDeepestFirst)
{
    EXPECT_EQ(mountPointsBelow(kMountinfo, "/var/lib/zenith/images/.tmp-debian-bookworm-amd64-1a2b"),
              (std::vector<std::string>{
                  "/var/lib/zenith/images/.tmp-debian-bookworm-amd64-1a2b/proc/sys/fs/binfmt_misc",
                  "/var/lib/zenith/images/.tmp-debian-bookworm-amd64-1a2b/proc",
                  "/var/lib/zenith/images/.tmp-debian-bookworm-amd64-1a2b/sys",
              }));
}

TEST(MountTable, TrailingSlashAndTheDirItself)
{
    EXPECT_EQ(mountPointsBelow(kMountinfo, "/proc/"), (std::vector<std::string>{"/proc"}));
}

TEST(MountTable, OctalEscapesAreUndone)
{
    EXPECT_EQ(mountPointsBelow(kMountinfo, "/srv/with space/target"),
              (std::vector<std::string>{"/srv/with space/target/dev/pts"}));
}

TEST(MountTable, NothingMountedBelowIsEmpty)
{
    EXPECT_TRUE(mountPointsBelow(kMountinfo, "/var/lib/machines").empty());
    EXPECT_TRUE(mountPointsBelow("garbage line\n", "/").empty());
}

}  // namespace
