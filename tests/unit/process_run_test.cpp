#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "drivers/process.h"

using namespace zenith::drivers;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> collect(const Argv& argv, RunOptions o = {})
{
    std::vector<std::string> lines;
    o.argv = argv;
    o.onStdout = [&](std::string_view l) { lines.emplace_back(l); };
    auto st = runProcess(o);
    EXPECT_TRUE(st.has_value());
    return lines;
}

// The child of thread `tid` that runs program `name` - with SIGTERM
// ignored, when `ignoresSigterm` - once it is there; 0 if it never comes (a
// bound for a hang, not a speed goal).
pid_t waitForChild(pid_t tid, const std::string& name, bool ignoresSigterm)
{
    for (int i = 0; i < 30000; ++i) {
        std::ifstream children("/proc/self/task/" + std::to_string(tid) + "/children");
        for (pid_t pid; children >> pid;) {
            std::ifstream status("/proc/" + std::to_string(pid) + "/status");
            std::string comm;
            unsigned long long ignored = 0;
            for (std::string line; std::getline(status, line);) {
                std::istringstream fields(line);
                std::string key, value;
                fields >> key >> value;
                if (key == "Name:")
                    comm = value;
                else if (key == "SigIgn:")
                    ignored = std::stoull(value, nullptr, 16);
            }
            if (comm == name && (!ignoresSigterm || (ignored & (1ull << (SIGTERM - 1)))))
                return pid;
        }
        std::this_thread::sleep_for(1ms);
    }
    return 0;
}

}  // namespace

TEST(ProcessRun, TrueSucceedsFalseFails)
{
    auto t = runProcess({.argv = {"/bin/true"}});
    ASSERT_TRUE(t);
    EXPECT_TRUE(t->success());
    EXPECT_EQ(t->code, 0);

    auto f = runProcess({.argv = {"/bin/false"}});
    ASSERT_TRUE(f);
    EXPECT_FALSE(f->success());
    EXPECT_EQ(f->code, 1);
    EXPECT_EQ(f->describe(), "exit code 1");
}

TEST(ProcessRun, MissingProgramIsAnError)
{
    auto r = runProcess({.argv = {"/nonexistent/zenith-no-such-program"}});
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("zenith-no-such-program"), std::string::npos);
}

TEST(ProcessRun, ArgumentsAreNotInterpretedByAShell)
{
    auto lines = collect({"echo", "a b", "$(id)", "; rm -rf /", "*"});
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0], "a b $(id) ; rm -rf / *");
}

TEST(ProcessRun, StdoutAndStderrLinesArriveSeparately)
{
    std::vector<std::string> out, err;
    RunOptions o;
    // ls names one existing and one missing path: one line on each stream.
    o.argv = {"ls", "-d", "/", "/zenith-missing-path"};
    o.onStdout = [&](std::string_view l) { out.emplace_back(l); };
    o.onStderr = [&](std::string_view l) { err.emplace_back(l); };
    auto st = runProcess(o);
    ASSERT_TRUE(st);
    EXPECT_EQ(st->code, 2);
    EXPECT_EQ(out, std::vector<std::string>{"/"});
    ASSERT_EQ(err.size(), 1u);
    EXPECT_NE(err[0].find("zenith-missing-path"), std::string::npos);
}

TEST(ProcessRun, Fd3PipeCarriesItsOwnLines)
{
    // cp writes the file to the child's fd 3, which must be our pipe.
    std::vector<std::string> lines;
    RunOptions o2;
    o2.argv = {"cp", "/etc/hostname", "/dev/fd/3"};
    o2.onFd3 = [&](std::string_view l) { lines.emplace_back(l); };
    auto st2 = runProcess(o2);
    ASSERT_TRUE(st2);
    EXPECT_TRUE(st2->success()) << st2->describe();
    std::ifstream h("/etc/hostname");
    std::string host;
    std::getline(h, host);
    EXPECT_EQ(lines, std::vector<std::string>{host});
}

TEST(ProcessRun, WithoutFd3TheChildHasNone)
{
    auto st = runProcess({.argv = {"test", "-e", "/proc/self/fd/3"}});
    ASSERT_TRUE(st);
    EXPECT_EQ(st->code, 1);
}

TEST(ProcessRun, OurOpenFdsDoNotLeakIntoTheChild)
{
    int fd = ::open("/etc/hostname", O_RDONLY);  // deliberately without O_CLOEXEC
    ASSERT_GE(fd, 0);
    auto st = runProcess({.argv = {"test", "-e", "/proc/self/fd/" + std::to_string(fd)}});
    ::close(fd);
    ASSERT_TRUE(st);
    EXPECT_EQ(st->code, 1) << "fd " << fd << " leaked";
}

TEST(ProcessRun, EnvironmentIsExactlyWhatWasGiven)
{
    RunOptions o;
    o.env = std::vector<std::string>{"ZENITH_A=1", "PATH=/usr/bin:/bin"};
    auto lines = collect({"env"}, o);
    EXPECT_EQ(lines, (std::vector<std::string>{"ZENITH_A=1", "PATH=/usr/bin:/bin"}));
}

TEST(ProcessRun, ChildLeadsItsOwnProcessGroup)
{
    auto lines = collect({"cat", "/proc/self/stat"});
    ASSERT_EQ(lines.size(), 1u);
    std::string rest = lines[0].substr(lines[0].rfind(')') + 2);
    std::istringstream in(rest);
    std::string state, ppid, pgrp;
    in >> state >> ppid >> pgrp;
    int pid = std::stoi(lines[0]);
    EXPECT_EQ(std::stoi(pgrp), pid);
    EXPECT_NE(std::stoi(pgrp), ::getpgrp());
}

TEST(ProcessRun, CancelEndsTheChildWithSigterm)
{
    std::stop_source stop;
    const pid_t self = ::gettid();
    pid_t child = 0;
    std::thread canceller([&] {
        child = waitForChild(self, "sleep", false);
        stop.request_stop();
    });
    auto st = runProcess({.argv = {"sleep", "30"}}, stop.get_token());
    canceller.join();
    ASSERT_GT(child, 0) << "sleep never ran";
    ASSERT_TRUE(st);
    EXPECT_TRUE(st->cancelled);
    EXPECT_FALSE(st->success());
    // Ended by the cancel's SIGTERM, not by its 30 s running out.
    EXPECT_EQ(st->signal, SIGTERM);
}

TEST(ProcessRun, CancelKillsAChildThatIgnoresSigterm)
{
    std::stop_source stop;
    const pid_t self = ::gettid();
    pid_t child = 0;
    std::chrono::steady_clock::time_point cancelledAt;
    // Only once sleep runs with SIGTERM ignored does the cancel meet the
    // disposition this test is about (a cancel that came before env set it
    // would end the child with SIGTERM).
    std::thread canceller([&] {
        child = waitForChild(self, "sleep", true);
        cancelledAt = std::chrono::steady_clock::now();
        stop.request_stop();
    });
    RunOptions o;
    o.argv = {"env", "--ignore-signal=TERM", "sleep", "30"};
    o.killGrace = 300ms;
    auto st = runProcess(o, stop.get_token());
    const auto afterCancel = std::chrono::steady_clock::now() - cancelledAt;
    canceller.join();
    ASSERT_GT(child, 0) << "sleep never ran with SIGTERM ignored";
    ASSERT_TRUE(st);
    EXPECT_TRUE(st->cancelled);
    EXPECT_EQ(st->signal, SIGKILL);
    // SIGKILL only after the grace it was given (a lower bound: load can
    // only make it later).
    EXPECT_GE(afterCancel, 300ms);
}

TEST(ProcessRun, ChildIsAlwaysReaped)
{
    auto st = runProcess({.argv = {"/bin/true"}});
    ASSERT_TRUE(st);
    // No child of ours is left over (zombie or otherwise).
    std::ifstream children("/proc/self/task/" + std::to_string(::gettid()) + "/children");
    std::string rest;
    std::getline(children, rest);
    EXPECT_EQ(rest, "");
}

TEST(ProcessRenderArgv, QuotesOnlyWhatNeedsIt)
{
    EXPECT_EQ(renderArgv({"debootstrap", "--arch=amd64", "http://deb.debian.org/debian"}),
              "debootstrap --arch=amd64 http://deb.debian.org/debian");
    EXPECT_EQ(renderArgv({"echo", "a b", "it's", ""}), "echo 'a b' 'it'\\''s' ''");
}

TEST(ProcessLineSplitter, JoinsChunksAndFlushesTheTail)
{
    std::vector<std::string> lines;
    LineSplitter s([&](std::string_view l) { lines.emplace_back(l); });
    s.feed("P: 1 ");
    s.feed("10 DOWNDEBS\nPF: Down");
    s.feed("loading\n\nlast");
    EXPECT_EQ(lines, (std::vector<std::string>{"P: 1 10 DOWNDEBS", "PF: Downloading", ""}));
    s.finish();
    EXPECT_EQ(lines.back(), "last");
}
