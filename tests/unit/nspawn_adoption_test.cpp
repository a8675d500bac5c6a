// Only the daemon's own containers are adopted: a process that looks like
// systemd-nspawn for a machine (same command line) but runs as another user,
// or is root running some other program, is ignored - both when it is found
// by its command line and when a pid file names it.
#include <gtest/gtest.h>

#include <grp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "drivers/nspawn/run_record.h"
#include "drivers/nspawn/supervised_runner.h"

namespace fs = std::filesystem;
using namespace zenith::drivers::nspawn;
using namespace std::chrono_literals;

namespace {

constexpr uid_t kNobody = 65534;

// A long-running bash whose command line reads like systemd-nspawn running
// `name` from `rootfs` (bash -c takes argv[0] and what follows from us).
class LookAlike {
public:
    LookAlike(const std::string& name, const std::string& rootfs, uid_t uid)
    {
        pid_ = ::fork();
        if (pid_ == 0) {
            // A group of its own, so that bash's sleep goes with it.
            ::setpgid(0, 0);
            if (uid != 0 && (::setgroups(0, nullptr) != 0 || ::setgid(uid) != 0 || ::setuid(uid) != 0))
                ::_exit(2);
            // Two commands, so that bash does not exec sleep in its place.
            ::execl("/bin/bash", "systemd-nspawn", "-c", "sleep 600; true", "--boot", "--keep-unit",
                    ("--directory=" + rootfs).c_str(), ("--machine=" + name).c_str(), nullptr);
            ::_exit(3);
        }
        // Wait until the exec happened (the command line is bash's).
        for (int i = 0; i < 200; ++i) {
            std::ifstream f("/proc/" + std::to_string(pid_) + "/cmdline");
            std::string cmd((std::istreambuf_iterator<char>(f)), {});
            if (cmd.starts_with(std::string("systemd-nspawn\0-c", 17)))
                break;
            std::this_thread::sleep_for(10ms);
        }
    }
    ~LookAlike()
    {
        ::kill(-pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    pid_t pid() const { return pid_; }

private:
    pid_t pid_ = -1;
};

TEST(NspawnAdoption, TheRealBinaryIsFound)
{
    const std::string binary = nspawnBinary();
    ASSERT_FALSE(binary.empty()) << "systemd-nspawn is not installed";
    EXPECT_TRUE(fs::path(binary).is_absolute());
    EXPECT_EQ(fs::path(binary).filename(), "systemd-nspawn");
}

TEST(NspawnAdoption, OnlyRootRunningTheBinaryCounts)
{
    LookAlike asRoot("web1", "/var/lib/machines/web1", 0);
    LookAlike asNobody("web1", "/var/lib/machines/web1", kNobody);
    // What the command line says fools the argv check alone...
    std::ifstream f("/proc/" + std::to_string(asNobody.pid()) + "/cmdline");
    std::string cmd((std::istreambuf_iterator<char>(f)), {});
    ASSERT_TRUE(isNspawnFor(cmd, "web1", "/var/lib/machines/web1")) << "the look-alike is not convincing";
    // ...but not the identity check.
    EXPECT_FALSE(isOurNspawn(asRoot.pid()));
    EXPECT_FALSE(isOurNspawn(asNobody.pid()));
    // With bash as "the binary", root's passes and nobody's does not: the
    // check is on the executable and the uid, each on its own.
    EXPECT_TRUE(isOurNspawn(asRoot.pid(), fs::canonical("/bin/bash").string()));
    EXPECT_FALSE(isOurNspawn(asNobody.pid(), fs::canonical("/bin/bash").string()));
}

TEST(NspawnAdoption, ALookAlikeIsNotFoundByItsCommandLine)
{
    LookAlike asNobody("web2", "/srv/m/web2", kNobody);
    LookAlike asRoot("web3", "/srv/m/web3", 0);
    EXPECT_EQ(findNspawnFor("web2", "/srv/m/web2"), std::nullopt);
    EXPECT_EQ(findNspawnFor("web3", "/srv/m/web3"), std::nullopt);
}

// A pid file that names a look-alike (the pid was reused, or the file was
// planted): the machine is not running, and the stale file goes.
TEST(NspawnAdoption, APidFileNamingALookAlikeIsDropped)
{
    char tmpl[] = "/tmp/zenith-adopt-XXXXXX";
    fs::path state = ::mkdtemp(tmpl);
    fs::create_directories(state / "run");
    LookAlike asNobody("web4", (state / "web4").string(), kNobody);
    auto start = processStartTime(asNobody.pid());
    ASSERT_TRUE(start);
    std::ofstream(state / "run/web4.pid") << formatRunRecord({asNobody.pid(), *start});
    {
        SupervisedRunner runner(state.string());
        EXPECT_FALSE(runner.isRunning({"web4", (state / "web4").string(), (state / "web4.nspawn").string()}));
        EXPECT_EQ(runner.leaderPid({"web4", (state / "web4").string(), (state / "web4.nspawn").string()}), 0);
    }
    EXPECT_FALSE(fs::exists(state / "run/web4.pid"));
    EXPECT_EQ(::kill(asNobody.pid(), 0), 0) << "the look-alike was signalled";
    fs::remove_all(state);
}

}  // namespace
