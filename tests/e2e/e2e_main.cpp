// The e2e tests run in a private mount namespace, set up before any thread
// exists (unshare(CLONE_NEWNS) only moves the calling thread): the btrfs
// loop mount and nspawn's scratch state under /run/systemd vanish with the
// process, even when it crashes, and the host never sees them.
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <gtest/gtest.h>
#include <systemd/sd-daemon.h>

int main(int argc, char** argv)
{
    ::testing::InitGoogleTest(&argc, argv);
    if (::geteuid() != 0) {
        std::fprintf(stderr, "the e2e tests boot containers and must run as root\n");
        return 1;
    }
    if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
        std::fprintf(stderr, "cannot make a private mount namespace: %s\n", std::strerror(errno));
        return 1;
    }
    // Without systemd as PID 1, /run/systemd holds nothing nspawn needs
    // (--register=no), and nspawn leaves its lock and propagation dirs there.
    if (sd_booted() <= 0 && ::access("/run/systemd", F_OK) == 0)
        ::mount("tmpfs", "/run/systemd", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
    return RUN_ALL_TESTS();
}
