// zenith-bench-provision: the provisioning benchmarks, one scenario per
// subcommand, each appending its raw samples to a results file that
// `report` turns into the table of bench/README.md. bench/run.sh runs them
// all in the right order on the right filesystems; see bench/README.md.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <exception>

#include "nspawn_peer.h"
#include "peer_scenarios.h"
#include "report.h"
#include "zenith_scenarios.h"

namespace zb = zenith::bench;

int main(int argc, char** argv)
{
    CLI::App app{"Zenith provisioning benchmarks (see bench/README.md)"};
    app.require_subcommand(1);

    zb::ScenarioOptions o;
    int settleMs = 300;
    auto common = [&](CLI::App* sub) {
        sub->add_option("--out", o.out, "results file (JSON lines, appended)")->required();
        sub->add_option("--group", o.group, "label the results are filed under (btrfs, ext4)");
        sub->add_option("--runs", o.runs, "iterations")->check(CLI::PositiveNumber);
        sub->add_option("--log", o.log, "where peers' output goes");
        sub->add_option("--settle-ms", settleMs, "pause between iterations, the same for every side");
    };

    auto* seed = app.add_subcommand("seed", "create and destroy one machine so the base image is cached");
    common(seed);
    auto* create = app.add_subcommand("create", "ours: create NO_START from the cached image, then destroy");
    common(create);
    auto* run = app.add_subcommand("run", "ours: create to running, then destroy FORCE");
    common(run);
    auto* clone = app.add_subcommand("clone", "ours: clone a stopped machine");
    common(clone);
    int calls = 300;
    auto* list = app.add_subcommand("list-latency", "ours: ListMachines latency idle and while two creates run");
    common(list);
    list->add_option("--calls", calls, "samples of each kind")->check(CLI::PositiveNumber);
    int pid = 0;
    std::string label;
    auto* rss = app.add_subcommand("rss", "VmRSS/VmHWM of the daemon");
    common(rss);
    rss->add_option("--pid", pid, "the daemon's pid")->required();
    rss->add_option("--label", label, "startup | after-jobs")->required();

    zb::LxcSetup lxc;
    auto lxcOptions = [&](CLI::App* sub) {
        common(sub);
        sub->add_option("--lxcpath", lxc.lxcpath, "private LXC path (-P)")->required();
        sub->add_option("--base", lxc.base, "stopped base container on the cached image")->required();
        sub->add_option("--notify", lxc.notifyPath, "host path of the containers' NOTIFY_SOCKET");
    };
    auto* lxcCreate = app.add_subcommand("lxc-create", "LXC: lxc-copy -s of the base container");
    lxcOptions(lxcCreate);
    auto* lxcRun = app.add_subcommand("lxc-run", "LXC: lxc-copy -s + lxc-start until READY=1, lxc-destroy -f");
    lxcOptions(lxcRun);
    lxcRun->get_option("--notify")->required();
    auto* lxcClone = app.add_subcommand("lxc-clone", "LXC: lxc-copy -s of a stopped container");
    lxcOptions(lxcClone);

    std::string source, dir, op = "create-cached";
    auto* snapshot = app.add_subcommand("snapshot", "btrfs subvolume snapshot of the image");
    common(snapshot);
    snapshot->add_option("--source", source)->required();
    snapshot->add_option("--dir", dir, "where the snapshots go (same filesystem)")->required();
    snapshot->add_option("--op", op, "the row it stands beside (create-cached, clone)");
    zb::NspawnPeerSetup raw;
    auto* nspawnRun = app.add_subcommand("nspawn-run", "bare systemd-nspawn: snapshot + boot until READY=1");
    common(nspawnRun);
    nspawnRun->add_option("--source", raw.image, "the cached image (btrfs subvolume)")->required();
    nspawnRun->add_option("--dir", raw.dir, "where the snapshots go (same filesystem)")->required();
    nspawnRun->add_option("--notify", raw.notifyPath, "systemd-nspawn's NOTIFY_SOCKET path")->required();
    auto* copy = app.add_subcommand("copy", "cp -a of the image");
    common(copy);
    copy->add_option("--source", source)->required();
    copy->add_option("--dir", dir, "where the copies go")->required();

    zb::ReportInputs reportIn;
    auto* report = app.add_subcommand("report", "print the table");
    report->add_option("--results", reportIn.results)->required();
    report->add_option("--gbench", reportIn.gbench, "zenith-bench-client-call --benchmark_out JSON");
    report->add_option("--hyperfine", reportIn.hyperfine, "hyperfine --export-json file");

    CLI11_PARSE(app, argc, argv);
    o.settle = std::chrono::milliseconds(settleMs);

    try {
        if (*seed)
            zb::zenithSeedImage(o);
        else if (*create)
            zb::zenithCreateCached(o);
        else if (*run)
            zb::zenithCreateToRunning(o);
        else if (*clone)
            zb::zenithClone(o);
        else if (*list)
            zb::zenithListDuringCreates(o, calls);
        else if (*rss)
            zb::recordDaemonMemory(o, pid, label);
        else if (*lxcCreate)
            zb::lxcCreateCached(o, lxc);
        else if (*lxcRun)
            zb::lxcCreateToRunning(o, lxc);
        else if (*lxcClone)
            zb::lxcClone(o, lxc);
        else if (*snapshot)
            zb::snapshotRuns(o, source, dir, op);
        else if (*copy)
            zb::copyRuns(o, source, dir);
        else if (*nspawnRun)
            zb::nspawnCreateToRunning(o, raw);
        else if (*report)
            zb::printReport(reportIn);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "zenith-bench-provision: %s\n", e.what());
        return 1;
    }
    return 0;
}
