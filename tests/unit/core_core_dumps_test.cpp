// The daemon writes no core dump, whatever RLIMIT_CORE and core_pattern say
// (its memory holds other jobs' passwords). Checked on a child that crashes:
// a control child without the call must dump, or the check proves nothing.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "core/core_dumps.h"

namespace fs = std::filesystem;

namespace {

// Crashes a child in `dir` with core dumps allowed; true when it dumped.
bool childDumpsCore(const fs::path& dir, bool disable)
{
    pid_t pid = ::fork();
    if (pid == 0) {
        rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
        ::setrlimit(RLIMIT_CORE, &unlimited);
        if (::chdir(dir.c_str()) != 0)
            ::_exit(2);
        if (disable && !zenith::core::disableCoreDumps())
            ::_exit(3);
        ::signal(SIGSEGV, SIG_DFL);
        ::raise(SIGSEGV);
        ::_exit(4);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFSIGNALED(status)) << "status " << status;
    return WIFSIGNALED(status) && WCOREDUMP(status);
}

TEST(CoreDumps, TheDaemonWritesNone)
{
    char tmpl[] = "/tmp/zenith-core-XXXXXX";
    fs::path dir = ::mkdtemp(tmpl);
    ASSERT_TRUE(childDumpsCore(dir, false)) << "this host writes no core dumps at all (core_pattern "
                                               "/proc/sys/kernel/core_pattern): the check below would prove nothing";
    fs::remove_all(dir);
    fs::create_directories(dir);
    EXPECT_FALSE(childDumpsCore(dir, true));
    EXPECT_TRUE(fs::is_empty(dir)) << "a core file was written";
    fs::remove_all(dir);
}

}  // namespace
