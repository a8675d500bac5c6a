#include "peer_scenarios.h"

#include <filesystem>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "support/ready_socket.h"
#include "support/results.h"
#include "support/run_command.h"
#include "support/stopwatch.h"

namespace zenith::bench {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

Argv lxc(const LxcSetup& l, const std::string& tool, std::initializer_list<std::string> args)
{
    Argv argv{tool, "-P", l.lxcpath};
    argv.insert(argv.end(), args);
    return argv;
}

// Destroys what a failed run left; a clean run leaves nothing to do.
class LxcLeftovers {
public:
    LxcLeftovers(const LxcSetup& l, std::string log) : l_(l), log_(std::move(log)) {}
    ~LxcLeftovers()
    {
        for (const auto& n : names_)
            if (fs::exists(fs::path(l_.lxcpath) / n))
                (void)runCommand(lxc(l_, "lxc-destroy", {"-n", n, "-f"}), log_);
    }
    void add(const std::string& n) { names_.push_back(n); }

private:
    const LxcSetup& l_;
    std::string log_;
    std::vector<std::string> names_;
};

void expectLxcState(const ScenarioOptions& o, const LxcSetup& l, const std::string& name, const std::string& state)
{
    // lxc-info -s prints "State: RUNNING"; lxc-wait with a zero timeout
    // answers the same question through its exit code.
    auto r = runCommand(lxc(l, "lxc-wait", {"-n", name, "-s", state, "-t", "0"}), o.log);
    if (!r.ok())
        throw std::runtime_error(fmt::format("LXC container {} is not {}", name, state));
}

}  // namespace

void lxcCreateCached(const ScenarioOptions& o, const LxcSetup& l)
{
    LxcLeftovers left(l, o.log);
    Record rec{o.group, "create-cached", "lxc (lxc-copy -s)"};
    for (int i = 0; i < o.runs; ++i) {
        std::string name = fmt::format("lxc-c{}", i);
        left.add(name);
        Stopwatch sw;
        runChecked(lxc(l, "lxc-copy", {"-n", l.base, "-N", name, "-s"}), o.log);
        rec.samples.push_back(sw.ms());
        expectLxcState(o, l, name, "STOPPED");
        settle(o);
        runChecked(lxc(l, "lxc-destroy", {"-n", name}), o.log);
        settle(o);
    }
    rec.note = "btrfs snapshot of the base container + its config (clone hook sets the hostname)";
    appendRecord(o.out, rec);
}

void lxcCreateToRunning(const ScenarioOptions& o, const LxcSetup& l)
{
    LxcLeftovers left(l, o.log);
    Record ready{o.group, "create-to-running", "lxc (READY=1)"};
    Record started{o.group, "create-to-running", "lxc (lxc-start -d returned)"};
    Record destroy{o.group, "destroy-running", "lxc (lxc-destroy -f)"};
    for (int i = 0; i < o.runs; ++i) {
        std::string name = fmt::format("lxc-r{}", i);
        left.add(name);
        ReadySocket notify(l.notifyPath);
        Stopwatch sw;
        runChecked(lxc(l, "lxc-copy", {"-n", l.base, "-N", name, "-s"}), o.log);
        runChecked(lxc(l, "lxc-start", {"-n", name, "-d"}), o.log);
        started.samples.push_back(sw.ms());
        if (!notify.waitReady(90s))
            throw std::runtime_error(fmt::format("LXC container {} sent no READY=1 within 90 s", name));
        ready.samples.push_back(sw.ms());
        expectLxcState(o, l, name, "RUNNING");

        sw.restart();
        runChecked(lxc(l, "lxc-destroy", {"-n", name, "-f"}), o.log);
        destroy.samples.push_back(sw.ms());
        if (fs::exists(fs::path(l.lxcpath) / name))
            throw std::runtime_error("lxc-destroy -f left " + name);
        settle(o);
    }
    Record boot{o.group, "start", "lxc (READY=1)"};
    for (int i = 0; i < o.runs; ++i) {
        std::string name = fmt::format("lxc-s{}", i);
        left.add(name);
        runChecked(lxc(l, "lxc-copy", {"-n", l.base, "-N", name, "-s"}), o.log);
        settle(o);
        ReadySocket notify(l.notifyPath);
        Stopwatch sw;
        runChecked(lxc(l, "lxc-start", {"-n", name, "-d"}), o.log);
        if (!notify.waitReady(90s))
            throw std::runtime_error(fmt::format("LXC container {} sent no READY=1 within 90 s", name));
        boot.samples.push_back(sw.ms());
        runChecked(lxc(l, "lxc-destroy", {"-n", name, "-f"}), o.log);
        settle(o);
    }
    appendRecord(o.out, boot);
    ready.note = "lxc-copy -s + lxc-start -d, until the container's systemd sent READY=1 to $NOTIFY_SOCKET";
    destroy.note = "lxc-destroy -f: SIGKILL of the container's init, then the snapshot is deleted";
    appendRecord(o.out, ready);
    appendRecord(o.out, started);
    appendRecord(o.out, destroy);
}

void lxcClone(const ScenarioOptions& o, const LxcSetup& l)
{
    LxcLeftovers left(l, o.log);
    const std::string source = "lxc-src";
    left.add(source);
    runChecked(lxc(l, "lxc-copy", {"-n", l.base, "-N", source, "-s"}), o.log);
    Record rec{o.group, "clone", "lxc (lxc-copy -s)"};
    for (int i = 0; i < o.runs; ++i) {
        std::string name = fmt::format("lxc-k{}", i);
        left.add(name);
        Stopwatch sw;
        runChecked(lxc(l, "lxc-copy", {"-n", source, "-N", name, "-s"}), o.log);
        rec.samples.push_back(sw.ms());
        settle(o);
        runChecked(lxc(l, "lxc-destroy", {"-n", name}), o.log);
        settle(o);
    }
    runChecked(lxc(l, "lxc-destroy", {"-n", source}), o.log);
    appendRecord(o.out, rec);
}

void snapshotRuns(const ScenarioOptions& o, const std::string& source, const std::string& dir, const std::string& op)
{
    Record rec{o.group, op, "btrfs subvolume snapshot"};
    Record del{o.group, "destroy-stopped", "btrfs subvolume delete"};
    for (int i = 0; i < o.runs; ++i) {
        std::string target = (fs::path(dir) / fmt::format("snap-{}", i)).string();
        Stopwatch sw;
        runChecked({"btrfs", "subvolume", "snapshot", source, target}, o.log);
        rec.samples.push_back(sw.ms());
        settle(o);
        sw.restart();
        runChecked({"btrfs", "subvolume", "delete", target}, o.log);
        del.samples.push_back(sw.ms());
        settle(o);
    }
    appendRecord(o.out, rec);
    if (op == "create-cached")
        appendRecord(o.out, del);
}

void copyRuns(const ScenarioOptions& o, const std::string& source, const std::string& dir)
{
    Record rec{o.group, "create-cached", "cp -a"};
    Record del{o.group, "destroy-stopped", "rm -r (std::filesystem::remove_all)"};
    for (int i = 0; i < o.runs; ++i) {
        std::string target = (fs::path(dir) / fmt::format("copy-{}", i)).string();
        Stopwatch sw;
        runChecked({"cp", "-a", "--", source, target}, o.log);
        rec.samples.push_back(sw.ms());
        settle(o);
        sw.restart();
        fs::remove_all(target);
        del.samples.push_back(sw.ms());
        settle(o);
    }
    appendRecord(o.out, rec);
    appendRecord(o.out, del);
}

}  // namespace zenith::bench
