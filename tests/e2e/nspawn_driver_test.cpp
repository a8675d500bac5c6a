// The nspawn backend for real: debootstrap from the host's apt mirror,
// systemd-nspawn boots, the container is entered and checked from inside,
// and every create that is cancelled or destroyed leaves nothing on disk.
// The tests share one base image and run in the order written.
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include "drivers/nspawn/machine_cgroups.h"
#include "drivers/nspawn/mount_table.h"
#include "drivers/nspawn/nspawn_driver.h"
#include "drivers/nspawn/rootfs_clone.h"
#include "drivers/nspawn/rotating_log.h"
#include "drivers/nspawn/run_record.h"
#include "drivers/nspawn/supervised_runner.h"
#include "drivers/process.h"
#include "recording_job_context.h"  // tests/support

using namespace zenith;
using namespace zenith::drivers;
using namespace zenith::drivers::nspawn;
using core::ErrorCode;
using core::MachineState;
using testsupport::RecordingJobContext;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::string slurp(const fs::path& p)
{
    std::ifstream f(p);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::string firstLine(const std::string& s)
{
    return s.substr(0, s.find('\n'));
}

// Runs a helper program (argv, never a shell) and returns its stdout.
std::string capture(const Argv& argv, int* code = nullptr)
{
    std::string out;
    RunOptions o;
    o.argv = argv;
    o.onStdout = [&](std::string_view l) { out.append(l).append("\n"); };
    auto st = runProcess(o);
    if (code)
        *code = st ? st->code : -1;
    return out;
}

// systemd-nspawn processes working on a tree under `root`.
std::vector<pid_t> nspawnProcessesUnder(const std::string& root)
{
    std::vector<pid_t> out;
    for (const auto& e : fs::directory_iterator("/proc")) {
        std::string name = e.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos)
            continue;
        std::string cmd = slurp(e.path() / "cmdline");
        std::replace(cmd.begin(), cmd.end(), '\0', ' ');
        if (cmd.starts_with("systemd-nspawn") && cmd.find(root) != std::string::npos)
            out.push_back(std::stoi(name));
    }
    return out;
}

// Kills each systemd-nspawn and, first, its children: the container's init
// is not killed with nspawn and would outlive it.
void killContainers(const std::vector<pid_t>& nspawns)
{
    for (const auto& e : fs::directory_iterator("/proc")) {
        std::string name = e.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos)
            continue;
        std::string stat = slurp(e.path() / "stat");
        auto close = stat.rfind(") ");
        if (close == std::string::npos)
            continue;
        std::istringstream rest(stat.substr(close + 2));
        std::string state;
        pid_t parent = 0;
        rest >> state >> parent;
        if (std::find(nspawns.begin(), nspawns.end(), parent) != nspawns.end())
            ::kill(std::stoi(name), SIGKILL);
    }
    for (pid_t pid : nspawns)
        ::kill(pid, SIGKILL);
}

struct Env {
    fs::path root;  // everything this suite makes lives here
    NspawnOptions options;
    std::shared_ptr<MachineRunner> runner;
    std::unique_ptr<Driver> driver;

    core::MachineRecord record(const std::string& name) const
    {
        core::MachineRecord m;
        m.name = name;
        m.backend = "nspawn";
        m.kind = "container";
        m.location = (fs::path(options.machinesDir) / name).string();
        m.distro = "debian";
        m.release = "bookworm";
        m.arch = "amd64";
        return m;
    }

    // What the suite may find for `name` after a destroy or a rollback: nothing.
    std::vector<std::string> remainsOf(const std::string& name) const
    {
        std::vector<std::string> found;
        fs::path m(options.machinesDir), s(options.stateDir);
        for (const auto& p : {m / name, m / (name + ".nspawn"), m / (".#" + name + ".partial"),
                              s / "run" / (name + ".pid"), s / "run" / (name + ".console"),
                              s / "run" / (name + ".console.1"),
                              s / "run" / (name + ".notify"), s / "templates" / name}) {
            std::error_code ec;
            if (fs::exists(fs::symlink_status(p, ec)))
                found.push_back(p.string());
        }
        return found;
    }

    std::vector<std::string> tempDirs() const
    {
        std::vector<std::string> found;
        std::error_code ec;
        for (const auto& dir : {fs::path(options.stateDir) / "images", fs::path(options.machinesDir)})
            for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
                if (it->path().filename().string().starts_with("."))
                    found.push_back(it->path().string());
        return found;
    }
};

Env makeEnv(const fs::path& root)
{
    Env env;
    env.root = root;
    env.options.stateDir = (root / "state").string();
    env.options.machinesDir = (root / "machines").string();
    env.options.startTimeout = 60s;
    env.options.stopTimeout = 20s;
    fs::create_directories(env.options.stateDir);
    fs::create_directories(env.options.machinesDir);
    env.runner = makeSupervisedRunner(env.options.stateDir, ZENITH_CONSOLE_LOG_HELPER);
    env.driver = makeNspawnDriver(env.options, env.runner);
    return env;
}

void stopEverything(Env& env)
{
    std::error_code ec;
    for (fs::directory_iterator it(env.options.machinesDir, ec), end; !ec && it != end; it.increment(ec)) {
        std::string name = it->path().filename().string();
        if (it->is_directory() && !name.starts_with("."))
            (void)env.runner->stop({name, it->path().string(), it->path().string() + ".nspawn"}, 5s);
    }
}

class NspawnE2E : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        char tmpl[] = "/tmp/zenith-e2e-XXXXXX";
        env_ = new Env(makeEnv(::mkdtemp(tmpl)));
    }
    static void TearDownTestSuite()
    {
        stopEverything(*env_);
        // A safety net for a test that died half-way: no container survives the suite.
        killContainers(nspawnProcessesUnder(env_->root.string()));
        std::string root = env_->root.string();
        delete env_;  // joins the runner's watchers
        env_ = nullptr;
        (void)removeTree(root);
    }

    // A create, checked for step order and monotonic progress.
    static core::Result<MachineFacts> create(const std::string& name, const core::MachineSpec& spec, bool start,
                                             RecordingJobContext& ctx)
    {
        auto r = env_->driver->create(name, spec, start, ctx);
        EXPECT_TRUE(ctx.monotonic());
        return r;
    }

    static void expectAliveInside(const std::string& name)
    {
        auto t = env_->record(name);
        int leader = env_->runner->leaderPid({name, t.location, t.location + ".nspawn"});
        ASSERT_GT(leader, 0);
        EXPECT_EQ(firstLine(slurp(fs::path("/proc") / std::to_string(leader) / "comm")), "systemd");
        int code = -1;
        std::string host = capture({"nsenter", "-t", std::to_string(leader), "-u", "-m", "hostname"}, &code);
        EXPECT_EQ(code, 0);
        EXPECT_EQ(firstLine(host), name);
        // PID 1 inside its own pid namespace is systemd.
        std::string comm = capture({"nsenter", "-t", std::to_string(leader), "-p", "-m", "cat", "/proc/1/comm"});
        EXPECT_EQ(firstLine(comm), "systemd");
    }

    // The tenant's root is the machine's own unprivileged host uid.
    static void expectUserNamespace(const std::string& name, uint32_t shift, const std::string& runningMessage)
    {
        auto t = env_->record(name);
        int leader = env_->runner->leaderPid({name, t.location, t.location + ".nspawn"});
        ASSERT_GT(leader, 0);
        EXPECT_GE(shift, 0x80000u);
        std::istringstream map(slurp(fs::path("/proc") / std::to_string(leader) / "uid_map"));
        uint64_t inside = 1, outside = 0, count = 0;
        map >> inside >> outside >> count;
        EXPECT_EQ(inside, 0u);
        EXPECT_EQ(outside, shift) << "the container's root is not the machine's range";
        EXPECT_EQ(count, 65536u);
        std::istringstream status(slurp(fs::path("/proc") / std::to_string(leader) / "status"));
        for (std::string l; std::getline(status, l);) {
            if (l.starts_with("Uid:")) {
                EXPECT_EQ(l, fmt::format("Uid:\t{0}\t{0}\t{0}\t{0}", shift)) << "init runs as host uid " << l;
            }
        }
        // Ownership by an idmapped mount (nothing on disk changes) or by a
        // chown at the first boot, and the job says which.
        struct stat st {};
        ASSERT_EQ(::stat(t.location.c_str(), &st), 0);
        if (st.st_uid == 0)
            EXPECT_NE(runningMessage.find("idmapped mount"), std::string::npos) << runningMessage;
        else
            EXPECT_EQ(st.st_uid, shift);
        EXPECT_NE(runningMessage.find("host uid " + std::to_string(shift)), std::string::npos) << runningMessage;
    }

    // cpu_quota and memory_max are enforced by the machine's own cgroups;
    // memory for real: a process in that cgroup that wants more is killed.
    static void expectLimits(const std::string& name, uint32_t cpuQuota, uint64_t memoryMax)
    {
        auto cgroups = MachineCgroups::forThisProcess();
        ASSERT_TRUE(cgroups.support().memoryMax && cgroups.support().cpuQuota);
        std::string memoryDir, cpuDir;
        for (const auto& d : cgroups.directories(name)) {
            EXPECT_TRUE(fs::is_directory(d)) << d;
            if (fs::exists(fs::path(d) / "memory.limit_in_bytes") || fs::exists(fs::path(d) / "memory.max"))
                memoryDir = d;
            if (fs::exists(fs::path(d) / "cpu.cfs_quota_us") || fs::exists(fs::path(d) / "cpu.max"))
                cpuDir = d;
        }
        ASSERT_FALSE(memoryDir.empty());
        ASSERT_FALSE(cpuDir.empty());
        std::string mem = fs::exists(fs::path(memoryDir) / "memory.limit_in_bytes")
                              ? slurp(fs::path(memoryDir) / "memory.limit_in_bytes")
                              : slurp(fs::path(memoryDir) / "memory.max");
        EXPECT_EQ(std::stoull(mem), memoryMax);
        std::string cpu = fs::exists(fs::path(cpuDir) / "cpu.cfs_quota_us") ? slurp(fs::path(cpuDir) / "cpu.cfs_quota_us")
                                                                              : slurp(fs::path(cpuDir) / "cpu.max");
        EXPECT_EQ(std::stoull(cpu), uint64_t{cpuQuota} * 1000);
        // 384 MiB more than the limit, every page written: in the machine's
        // cgroup that ends in the OOM killer's SIGKILL, not in success.
        SpawnOptions so;
        so.argv = {"python3", "-c", fmt::format("x = b'x' * {}", memoryMax + (384ull << 20))};
        so.cgroupProcs = {memoryDir + "/cgroup.procs"};
        auto pid = spawnProcess(so);
        ASSERT_TRUE(pid) << pid.error().message;
        int status = 0;
        ::waitpid(*pid, &status, 0);
        EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
            << "the memory limit was not enforced (status " << status << ")";
    }

    // Root inside floods its console: the log stays within two files of
    // kConsoleLogMaxBytes, and the machine runs on.
    static void expectBoundedConsole(const std::string& name)
    {
        auto t = env_->record(name);
        int leader = env_->runner->leaderPid({name, t.location, t.location + ".nspawn"});
        ASSERT_GT(leader, 0);
        int code = -1;
        capture({"nsenter", "-t", std::to_string(leader), "-a", "dd", "if=/dev/zero", "of=/dev/console", "bs=65536",
                 "count=96"},
                &code);
        EXPECT_EQ(code, 0) << "could not write to the container's console";
        const fs::path log = fs::path(env_->options.stateDir) / "run" / (name + ".console");
        const fs::path older = log.string() + ".1";
        // The logger drains the pipe on its own, rotating as it goes (a
        // rename, then a new file): read the sizes once it has caught up -
        // both files there and neither growing for a moment.
        std::error_code ec1, ec2;
        uintmax_t size = 0, olderSize = 0;
        std::pair<uintmax_t, uintmax_t> before{UINTMAX_MAX, UINTMAX_MAX};
        for (int i = 0, still = 0; i < 200 && still < 4; ++i) {
            std::this_thread::sleep_for(50ms);
            size = fs::file_size(log, ec1);
            olderSize = fs::file_size(older, ec2);
            const std::pair<uintmax_t, uintmax_t> now{size, olderSize};
            still = (!ec1 && !ec2 && now == before) ? still + 1 : 0;
            before = now;
        }
        ASSERT_FALSE(ec2) << "6 MiB of console never rotated the log";
        ASSERT_FALSE(ec1) << "no console log after the rotation";
        EXPECT_LE(size, kConsoleLogMaxBytes);
        EXPECT_LE(olderSize, kConsoleLogMaxBytes);
        EXPECT_EQ(env_->driver->probe(t), MachineState::Running);
    }

    static Env* env_;
};

Env* NspawnE2E::env_ = nullptr;

TEST_F(NspawnE2E, A_CancelDuringDebootstrapLeavesNothing)
{
    RecordingJobContext ctx;
    // Well inside debootstrap: its own progress has moved the bar.
    ctx.cancelWhen = [](double f, const std::string& step) { return step == "base-image" && f > 0.10; };
    auto r = create("e2e-cancel", {}, true, ctx);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::Cancelled) << r.error().message;
    EXPECT_GT(ctx.countOf("base-image"), 5u);  // debootstrap's progress arrived before the cancel
    EXPECT_EQ(env_->remainsOf("e2e-cancel"), std::vector<std::string>{});
    EXPECT_EQ(env_->tempDirs(), std::vector<std::string>{});
    auto images = env_->driver->imageCatalog()->images();
    ASSERT_TRUE(images);
    EXPECT_TRUE(images->empty());
}

TEST_F(NspawnE2E, A2_CancelWhileDebootstrapHasMountsLeavesNothing)
{
    // debootstrap's second stage mounts /proc and /sys in its target; a
    // cancel then must not leave the build dir behind for want of an unmount.
    const std::string images = (fs::path(env_->options.stateDir) / "images").string();
    bool sawMounts = false;
    RecordingJobContext ctx;
    ctx.cancelWhen = [&](double, const std::string& step) {
        sawMounts = step == "base-image" && !mountPointsBelow(slurp("/proc/self/mountinfo"), images).empty();
        return sawMounts;
    };
    auto r = create("e2e-cancel-late", {}, true, ctx);
    ASSERT_FALSE(r);
    EXPECT_TRUE(sawMounts) << "debootstrap never mounted anything in its target";
    EXPECT_EQ(r.error().code, ErrorCode::Cancelled) << r.error().message;
    EXPECT_EQ(mountPointsBelow(slurp("/proc/self/mountinfo"), images), std::vector<std::string>{});
    EXPECT_EQ(env_->remainsOf("e2e-cancel-late"), std::vector<std::string>{});
    EXPECT_EQ(env_->tempDirs(), std::vector<std::string>{});
}

TEST_F(NspawnE2E, B_CreateBuildsTheImageAndBootsTheMachine)
{
    RecordingJobContext ctx;
    core::MachineSpec spec;
    spec.password = core::Secret("e2e-Secret-pw");
    spec.cpuQuota = 50;
    spec.memoryMax = 512ull << 20;
    auto facts = create("e2e-web", spec, true, ctx);
    ASSERT_TRUE(facts) << facts.error().message;
    EXPECT_EQ(ctx.steps(), (std::vector<std::string>{"architecture", "base-image", "clone", "configure", "start"}));
    EXPECT_GT(ctx.countOf("base-image"), 20u);  // progress came from debootstrap itself
    EXPECT_DOUBLE_EQ(ctx.events().back().fraction, 1.0);
    EXPECT_EQ(facts->distro, "debian");
    EXPECT_EQ(facts->release, "bookworm");

    auto rec = env_->record("e2e-web");
    EXPECT_EQ(env_->driver->probe(rec), MachineState::Running);
    expectAliveInside("e2e-web");
    std::string shadow = slurp(fs::path(rec.location) / "etc" / "shadow");
    EXPECT_TRUE(shadow.starts_with("root:$y$")) << firstLine(shadow);
    // The password reached no file but shadow (and there only hashed), and no argv.
    std::string console = slurp(fs::path(env_->options.stateDir) / "run" / "e2e-web.console");
    EXPECT_EQ(console.find("e2e-Secret-pw"), std::string::npos);
    for (pid_t pid : nspawnProcessesUnder(env_->root.string()))
        EXPECT_EQ(slurp(fs::path("/proc") / std::to_string(pid) / "cmdline").find("e2e-Secret-pw"), std::string::npos);

    expectUserNamespace("e2e-web", facts->uidShift, ctx.events().back().message);
    expectLimits("e2e-web", 50, 512ull << 20);
    expectBoundedConsole("e2e-web");

    auto images = env_->driver->imageCatalog()->images();
    ASSERT_TRUE(images);
    ASSERT_EQ(images->size(), 1u);
    EXPECT_EQ((*images)[0].id, "debian-bookworm-amd64");
    EXPECT_EQ((*images)[0].kind, "base");
    EXPECT_GT((*images)[0].size, 100ull << 20);
}

TEST_F(NspawnE2E, C_StopAndStartAgain)
{
    auto rec = env_->record("e2e-web");
    RecordingJobContext stopCtx;
    ASSERT_TRUE(env_->driver->stop(rec, false, stopCtx));
    EXPECT_EQ(env_->driver->probe(rec), MachineState::Stopped);
    EXPECT_EQ(env_->runner->leaderPid({"e2e-web", rec.location, rec.location + ".nspawn"}), 0);
    EXPECT_EQ(nspawnProcessesUnder(rec.location), std::vector<pid_t>{});

    RecordingJobContext startCtx;
    ASSERT_TRUE(env_->driver->start(rec, startCtx));
    EXPECT_EQ(env_->driver->probe(rec), MachineState::Running);
    expectAliveInside("e2e-web");
}

TEST_F(NspawnE2E, D_ARestartedDaemonAdoptsTheRunningMachine)
{
    auto rec = env_->record("e2e-web");
    RunTarget t{"e2e-web", rec.location, rec.location + ".nspawn"};
    int leader = env_->runner->leaderPid(t);
    ASSERT_GT(leader, 0);
    // A second runner over the same state dir is what a restarted daemon has.
    auto fresh = makeSupervisedRunner(env_->options.stateDir);
    EXPECT_TRUE(fresh->isRunning(t));
    EXPECT_EQ(fresh->leaderPid(t), leader);
}

TEST_F(NspawnE2E, D2_AMachineWhosePidFileIsMissingIsFoundByItsCommandLine)
{
    // A daemon killed between starting a machine and recording its pid:
    // the next one must still see it running (or a rollback would delete
    // the tree under a live container and leave it running).
    auto rec = env_->record("e2e-web");
    RunTarget t{"e2e-web", rec.location, rec.location + ".nspawn"};
    const fs::path pidFile = fs::path(env_->options.stateDir) / "run" / "e2e-web.pid";
    const std::string saved = slurp(pidFile);
    ASSERT_FALSE(saved.empty());
    fs::remove(pidFile);
    auto fresh = makeSupervisedRunner(env_->options.stateDir);
    EXPECT_TRUE(fresh->isRunning(t));
    EXPECT_EQ(fresh->leaderPid(t), env_->runner->leaderPid(t));
    // ...and it wrote the record back for the next look.
    EXPECT_EQ(slurp(pidFile), saved);
    // A different tree with the same name is not that machine.
    EXPECT_FALSE(makeSupervisedRunner(env_->options.stateDir + "/elsewhere")
                     ->isRunning({"e2e-web", rec.location + "-other", ""}));
}

TEST_F(NspawnE2E, E_DestroyNeedsForceAndLeavesNothing)
{
    auto rec = env_->record("e2e-web");
    RecordingJobContext busyCtx;
    auto busy = env_->driver->destroy(rec, false, busyCtx);
    ASSERT_FALSE(busy);
    EXPECT_EQ(busy.error().code, ErrorCode::Busy);
    EXPECT_EQ(env_->driver->probe(rec), MachineState::Running);

    RecordingJobContext ctx;
    ASSERT_TRUE(env_->driver->destroy(rec, true, ctx));
    EXPECT_EQ(env_->remainsOf("e2e-web"), std::vector<std::string>{});
    for (const auto& d : MachineCgroups::forThisProcess().directories("e2e-web"))
        EXPECT_FALSE(fs::exists(d)) << "cgroup left behind: " << d;
    EXPECT_EQ(nspawnProcessesUnder(rec.location), std::vector<pid_t>{});
}

TEST_F(NspawnE2E, F_CancelDuringCloneLeavesNothing)
{
    RecordingJobContext ctx;
    std::thread canceller;
    // Cancel while cp is copying the image (ext4 here: a real copy of ~250 MB):
    // once the partial tree has files in it, not after a guessed delay.
    const fs::path partial = fs::path(env_->options.machinesDir) / ".#e2e-cancel-clone.partial";
    std::atomic<bool> cancelledMidCopy{false};
    ctx.cancelWhen = [&](double, const std::string& step) {
        if (step == "clone" && !canceller.joinable())
            canceller = std::thread([&] {
                const auto deadline = std::chrono::steady_clock::now() + 60s;
                while (std::chrono::steady_clock::now() < deadline) {
                    std::error_code ec;
                    if (fs::exists(partial / "usr", ec)) {
                        cancelledMidCopy = true;
                        break;
                    }
                    std::this_thread::sleep_for(2ms);
                }
                ctx.cancel();
            });
        return false;
    };
    auto r = create("e2e-cancel-clone", {}, true, ctx);
    if (canceller.joinable())
        canceller.join();
    EXPECT_TRUE(cancelledMidCopy) << partial << " never had files: the copy was not seen";
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::Cancelled) << r.error().message;
    EXPECT_EQ(ctx.steps().back(), "clone");  // it never got to configure
    EXPECT_EQ(env_->remainsOf("e2e-cancel-clone"), std::vector<std::string>{});
    EXPECT_EQ(env_->tempDirs(), std::vector<std::string>{});
}

TEST_F(NspawnE2E, G_CancelDuringStartLeavesNothing)
{
    RecordingJobContext ctx;
    ctx.cancelWhen = [](double, const std::string& step) { return step == "start"; };
    auto r = create("e2e-cancel-start", {}, true, ctx);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::Cancelled) << r.error().message;
    EXPECT_EQ(env_->remainsOf("e2e-cancel-start"), std::vector<std::string>{});
    EXPECT_EQ(nspawnProcessesUnder(env_->root.string()), std::vector<pid_t>{});
}

TEST_F(NspawnE2E, G2_AKilledContainerLeavesNothingAfterItsDestroy)
{
    // A systemd-nspawn that is killed (a stop that timed out, a crash)
    // leaves its image lock .#NAME.lck behind; destroy removes it too.
    RecordingJobContext ctx;
    auto made = create("e2e-killed", {}, true, ctx);
    ASSERT_TRUE(made) << made.error().message;
    auto rec = env_->record("e2e-killed");
    auto pids = nspawnProcessesUnder(rec.location);
    ASSERT_FALSE(pids.empty());
    // As the runner's own kill does: the container's init first (it is no
    // child of ours and would outlive systemd-nspawn), then nspawn.
    int leader = env_->runner->leaderPid({"e2e-killed", rec.location, rec.location + ".nspawn"});
    ASSERT_GT(leader, 0);
    ::kill(leader, SIGKILL);
    for (pid_t pid : pids)
        ::kill(pid, SIGKILL);
    for (int i = 0; i < 100 && env_->driver->probe(rec) == MachineState::Running; ++i)
        std::this_thread::sleep_for(100ms);
    ASSERT_EQ(env_->driver->probe(rec), MachineState::Stopped);
    EXPECT_TRUE(fs::exists(fs::path(env_->options.machinesDir) / ".#e2e-killed.lck"))
        << "nspawn no longer leaves its lock behind: this test no longer tests anything";

    RecordingJobContext destroyCtx;
    ASSERT_TRUE(env_->driver->destroy(rec, false, destroyCtx));
    EXPECT_FALSE(processStartTime(leader).has_value()) << "the container's init outlived it";
    EXPECT_EQ(env_->remainsOf("e2e-killed"), std::vector<std::string>{});
    EXPECT_EQ(env_->tempDirs(), std::vector<std::string>{});
}

TEST_F(NspawnE2E, H_CloneAStoppedMachine)
{
    RecordingJobContext c1;
    ASSERT_TRUE(create("e2e-src", {}, false, c1));
    auto src = env_->record("e2e-src");
    EXPECT_EQ(env_->driver->probe(src), MachineState::Stopped);

    RecordingJobContext c2;
    auto facts = env_->driver->clone(src, "e2e-copy", {}, true, c2);
    ASSERT_TRUE(facts) << facts.error().message;
    EXPECT_EQ(c2.steps(), (std::vector<std::string>{"clone", "configure", "start"}));
    expectAliveInside("e2e-copy");
    auto copy = env_->record("e2e-copy");
    EXPECT_NE(slurp(fs::path(copy.location) / "etc/machine-id"), slurp(fs::path(src.location) / "etc/machine-id"));

    // The clone is running: it cannot itself be a clone source.
    RecordingJobContext c3;
    auto busy = env_->driver->clone(copy, "e2e-copy2", {}, false, c3);
    ASSERT_FALSE(busy);
    EXPECT_EQ(busy.error().code, ErrorCode::Busy);

    for (const auto& name : {"e2e-copy", "e2e-src"}) {
        RecordingJobContext c;
        ASSERT_TRUE(env_->driver->destroy(env_->record(name), true, c));
        EXPECT_EQ(env_->remainsOf(name), std::vector<std::string>{});
    }
}

// A tenant's root owns its tree and can plant anything where the daemon
// reads when it clones (etc/hosts, and etc/shadow when a password is set).
// Each trap fails the clone promptly with the path named, leaves nothing,
// and the same goes for a template made from a poisoned tree.
TEST_F(NspawnE2E, H2_TrapFilesFailClonesAndTemplatesNamingThePath)
{
    RecordingJobContext c0;
    ASSERT_TRUE(create("e2e-trap", {}, false, c0));
    auto src = env_->record("e2e-trap");
    const fs::path tree = src.location;

    struct Trap {
        const char* name;
        std::function<void(const fs::path&)> plant;
        const char* why;
    };
    const std::vector<Trap> traps{
        {"fifo", [](const fs::path& p) { ASSERT_EQ(::mkfifo(p.c_str(), 0644), 0); }, "is a FIFO"},
        {"device", [](const fs::path& p) { ASSERT_EQ(::mknod(p.c_str(), S_IFCHR | 0644, makedev(1, 5)), 0); },
         "is a character device"},
        {"socket", [](const fs::path& p) { ASSERT_EQ(::mknod(p.c_str(), S_IFSOCK | 0644, 0), 0); }, "is a socket"},
        {"symlink loop",
         [](const fs::path& p) {
             fs::create_symlink(p.filename().string() + ".loop", p);
             fs::create_symlink(p.filename(), p.string() + ".loop");
         },
         "Too many levels of symbolic links"},
        {"64 GiB sparse file",
         [](const fs::path& p) {
             std::ofstream(p).close();
             fs::resize_file(p, 64ull << 30);
         },
         "68719476736 bytes"},
    };
    auto residentKiB = [] {
        std::istringstream status(slurp("/proc/self/status"));
        for (std::string l; std::getline(status, l);)
            if (l.starts_with("VmRSS:"))
                return std::stoul(l.substr(6));
        return 0ul;
    };
    // A clone that hangs must fail the suite, not stall it.
    auto cloneGuarded = [&](const core::MachineSpec& spec) {
        RecordingJobContext ctx;
        auto f = std::async(std::launch::async, [&] { return env_->driver->clone(src, "e2e-trapped", spec, false, ctx); });
        if (f.wait_for(120s) != std::future_status::ready) {
            ADD_FAILURE() << "the clone hung";
            std::abort();
        }
        return f.get();
    };

    core::MachineSpec withPassword;
    withPassword.password = core::Secret("e2e-Trap-pw");
    const auto rssBefore = residentKiB();
    for (const std::string file : {"etc/hosts", "etc/shadow"}) {
        const fs::path target = tree / file;
        const fs::path saved = env_->root / "saved-trap-file";
        fs::copy_file(target, saved, fs::copy_options::overwrite_existing);
        for (const auto& trap : traps) {
            SCOPED_TRACE(trap.name + std::string(" at ") + file);
            fs::remove(target);
            fs::remove(target.string() + ".loop");
            trap.plant(target);
            const auto started = std::chrono::steady_clock::now();
            auto r = cloneGuarded(withPassword);
            const auto took = std::chrono::steady_clock::now() - started;
            ASSERT_FALSE(r) << "the clone went through";
            EXPECT_EQ(r.error().code, ErrorCode::BackendFailed) << r.error().message;
            const std::string path = (fs::path(env_->options.machinesDir) / "e2e-trapped" / file).string();
            EXPECT_NE(r.error().message.find(path), std::string::npos) << r.error().message;
            EXPECT_NE(r.error().message.find(trap.why), std::string::npos) << r.error().message;
            EXPECT_EQ(env_->remainsOf("e2e-trapped"), std::vector<std::string>{});
            // The copy of the tree takes the time; the trap adds none.
            EXPECT_LT(took, 60s);
        }
        fs::remove(target);
        fs::remove(target.string() + ".loop");
        fs::copy_file(saved, target);
    }
    EXPECT_LT(residentKiB(), rssBefore + 16 * 1024) << "memory grew while refusing the traps";

    // A template made from a poisoned tree: creating from it fails the same way.
    fs::remove(tree / "etc/hosts");
    ASSERT_EQ(::mkfifo((tree / "etc/hosts").c_str(), 0644), 0);
    RecordingJobContext t;
    ASSERT_TRUE(env_->driver->makeTemplate(src, t));
    core::MachineSpec fromTemplate;
    fromTemplate.templateName = "e2e-trap";
    RecordingJobContext c;
    auto child = create("e2e-trap-child", fromTemplate, false, c);
    ASSERT_FALSE(child);
    EXPECT_NE(child.error().message.find("e2e-trap-child/etc/hosts is a FIFO"), std::string::npos)
        << child.error().message;
    EXPECT_EQ(env_->remainsOf("e2e-trap-child"), std::vector<std::string>{});

    RecordingJobContext d;
    ASSERT_TRUE(env_->driver->destroy(src, true, d));
    EXPECT_EQ(env_->remainsOf("e2e-trap"), std::vector<std::string>{});
}

// The fast path: state and machines on btrfs (a loop device in this
// process's private mount namespace), clones as snapshots.
TEST_F(NspawnE2E, I_OnBtrfsClonesAreSnapshots)
{
    fs::path img = env_->root / "btrfs.img";
    fs::path mnt = env_->root / "btrfs";
    fs::create_directories(mnt);
    {
        std::ofstream(img).close();
        fs::resize_file(img, 2ull << 30);  // sparse
    }
    int code = -1;
    capture({"mkfs.btrfs", "-q", img.string()}, &code);
    ASSERT_EQ(code, 0) << "mkfs.btrfs failed";
    capture({"mount", "-o", "loop", img.string(), mnt.string()}, &code);  // loop is auto-cleared on umount
    ASSERT_EQ(code, 0) << "mount -o loop failed";
    struct Unmount {
        fs::path m;
        ~Unmount() { ::umount2(m.c_str(), MNT_DETACH); }
    } unmount{mnt};

    Env b = makeEnv(mnt);
    ASSERT_TRUE(isBtrfs(b.options.machinesDir));
    // Seed the btrfs image cache from the one built above (a second
    // debootstrap would only cost time): a subvolume holding a copy.
    fs::path seeded = fs::path(b.options.stateDir) / "images" / "debian-bookworm-amd64";
    fs::create_directories(seeded.parent_path());
    ASSERT_TRUE(makeTreeDir(seeded.string()));
    capture({"cp", "-a", "--", (fs::path(env_->options.stateDir) / "images" / "debian-bookworm-amd64" / ".").string(),
             seeded.string()},
            &code);
    ASSERT_EQ(code, 0);
    ASSERT_TRUE(isBtrfsSubvolume(seeded.string()));

    RecordingJobContext ctx;
    auto facts = b.driver->create("e2e-snap", {}, true, ctx);
    ASSERT_TRUE(facts) << facts.error().message;
    bool snapshot = false;
    for (const auto& e : ctx.events())
        snapshot |= e.step == "clone" && e.message == "btrfs snapshot taken";
    EXPECT_TRUE(snapshot);
    EXPECT_TRUE(isBtrfsSubvolume(facts->location));
    auto rec = b.record("e2e-snap");
    int leader = b.runner->leaderPid({"e2e-snap", rec.location, rec.location + ".nspawn"});
    ASSERT_GT(leader, 0);
    EXPECT_EQ(firstLine(capture({"nsenter", "-t", std::to_string(leader), "-u", "hostname"})), "e2e-snap");

    // Stop, make it a (read-only) template, create from the template.
    RecordingJobContext s;
    ASSERT_TRUE(b.driver->stop(rec, false, s));
    RecordingJobContext t;
    ASSERT_TRUE(b.driver->makeTemplate(rec, t));
    EXPECT_EQ(b.driver->probe(rec), MachineState::Template);
    EXPECT_NE(::access((fs::path(rec.location) / "etc" / "new-file").c_str(), F_OK), 0);
    std::ofstream probeWrite(fs::path(rec.location) / "etc" / "new-file");
    EXPECT_FALSE(probeWrite.is_open());  // read-only subvolume

    core::MachineSpec fromTemplate;
    fromTemplate.templateName = "e2e-snap";
    RecordingJobContext c;
    auto child = b.driver->create("e2e-child", fromTemplate, false, c);
    ASSERT_TRUE(child) << child.error().message;
    EXPECT_TRUE(isBtrfsSubvolume(child->location));
    EXPECT_EQ(firstLine(slurp(fs::path(child->location) / "etc" / "hostname")), "e2e-child");

    for (const auto& name : {"e2e-child", "e2e-snap"}) {
        RecordingJobContext d;
        ASSERT_TRUE(b.driver->destroy(b.record(name), true, d)) << name;
        EXPECT_EQ(b.remainsOf(name), std::vector<std::string>{});
    }
    stopEverything(b);
}

}  // namespace
