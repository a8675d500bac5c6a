// A supervised machine's cgroups: found for each hierarchy the daemon is in
// (v1 controllers, name=systemd, the unified one), limits written in the
// form each hierarchy takes, removed deepest first.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "drivers/nspawn/machine_cgroups.h"

namespace fs = std::filesystem;
using namespace zenith::drivers::nspawn;

namespace {

const char* kHybridCgroup =
    "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/abc\n2:cpu,cpuacct:/\n0::/\n";
const char* kHybridMounts =
    "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
    "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
    "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

TEST(NspawnMachineCgroups, FindsEachHierarchyAndTheDaemonsPlaceInIt)
{
    auto hs = parseCgroupHierarchies(kHybridCgroup, kHybridMounts);
    ASSERT_EQ(hs.size(), 5u);
    EXPECT_EQ(hs[0].mountPoint, "/sys/fs/cgroup/systemd");
    EXPECT_EQ(hs[2].mountPoint, "/sys/fs/cgroup/memory");
    EXPECT_EQ(hs[2].ownPath, "/process_api/abc");
    EXPECT_EQ(hs[3].controllers, (std::vector<std::string>{"cpu", "cpuacct"}));
    EXPECT_TRUE(hs[4].unified);
    MachineCgroups cg(hs);
    EXPECT_EQ(cg.directories("web1"),
              (std::vector<std::string>{"/sys/fs/cgroup/unified/zenith-machine-web1",
                                        "/sys/fs/cgroup/systemd/zenith-machine-web1",
                                        "/sys/fs/cgroup/cpu,cpuacct/zenith-machine-web1",
                                        "/sys/fs/cgroup/memory/process_api/abc/zenith-machine-web1",
                                        "/sys/fs/cgroup/pids/zenith-machine-web1"}));
    EXPECT_TRUE(cg.support().cpuQuota);
    EXPECT_TRUE(cg.support().memoryMax);
}

TEST(NspawnMachineCgroups, AMountOfPartOfAHierarchyMapsThePath)
{
    auto hs = parseCgroupHierarchies("0::/lxc/ct1/daemon\n",
                                     "40 30 0:37 /lxc/ct1 /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
    ASSERT_EQ(hs.size(), 1u);
    EXPECT_EQ(hs[0].ownPath, "/daemon");
    // Pure v2 without controllers enabled for the daemon's children: no limits.
    EXPECT_FALSE(MachineCgroups(hs).support().cpuQuota);
}

// Limits are written as each hierarchy takes them (on a fake cgroupfs: a
// plain directory tree), and removal takes the container's own subtree too.
TEST(NspawnMachineCgroups, WritesLimitsAndRemovesDeepestFirst)
{
    char tmpl[] = "/tmp/zenith-cgroups-XXXXXX";
    fs::path root = ::mkdtemp(tmpl);
    std::vector<CgroupHierarchy> hs{{(root / "v1cpu").string(), "/", false, {"cpu", "cpuacct"}},
                                    {(root / "v1mem").string(), "/", false, {"memory"}},
                                    {(root / "v2").string(), "/", true, {"cpu", "memory", "pids"}}};
    for (auto& h : hs)
        fs::create_directories(h.mountPoint);
    MachineCgroups cg(hs);
    auto procs = cg.create("web1", {150, 512ull << 20});
    ASSERT_TRUE(procs) << procs.error().message;
    EXPECT_EQ(procs->size(), 3u);
    auto read = [](const fs::path& p) {
        std::ifstream f(p);
        std::stringstream ss;
        ss << f.rdbuf();
        return ss.str();
    };
    EXPECT_EQ(read(root / "v1cpu/zenith-machine-web1/cpu.cfs_quota_us"), "150000");
    EXPECT_EQ(read(root / "v1cpu/zenith-machine-web1/cpu.cfs_period_us"), "100000");
    EXPECT_EQ(read(root / "v1mem/zenith-machine-web1/memory.limit_in_bytes"), std::to_string(512ull << 20));
    // The v1 controllers carry the limits; the unified hierarchy is left alone.
    EXPECT_FALSE(fs::exists(root / "v2/zenith-machine-web1/cpu.max"));
    // A reused directory loses old limits.
    ASSERT_TRUE(cg.create("web1", {}));
    EXPECT_EQ(read(root / "v1cpu/zenith-machine-web1/cpu.cfs_quota_us"), "-1");
    EXPECT_EQ(read(root / "v1mem/zenith-machine-web1/memory.limit_in_bytes"), "-1");

    // Pure v2: cpu.max and memory.max.
    MachineCgroups v2only({{(root / "v2").string(), "/", true, {"cpu", "memory"}}});
    ASSERT_TRUE(v2only.create("web2", {50, 1ull << 30}));
    EXPECT_EQ(read(root / "v2/zenith-machine-web2/cpu.max"), "50000 100000");
    EXPECT_EQ(read(root / "v2/zenith-machine-web2/memory.max"), std::to_string(1ull << 30));

    // On a real cgroupfs the files vanish with their directory; here they
    // must go first, as the kernel's would.
    for (auto& d : cg.directories("web1"))
        for (auto& f : fs::directory_iterator(d))
            fs::remove(f.path());
    fs::create_directories(root / "v1mem/zenith-machine-web1/payload/init.scope");
    ASSERT_TRUE(cg.remove("web1"));
    for (auto& d : cg.directories("web1"))
        EXPECT_FALSE(fs::exists(d)) << d;
    fs::remove_all(root);
}

TEST(NspawnMachineCgroups, ALimitWithoutAControllerIsAnError)
{
    MachineCgroups none({{"/nonexistent/v2", "/", true, {}}});
    EXPECT_FALSE(none.support().memoryMax);
    auto r = none.create("web1", {0, 1ull << 30});
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().message.starts_with("memory_max:")) << r.error().message;
}

}  // namespace
