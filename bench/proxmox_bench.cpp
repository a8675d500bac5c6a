// zenith-bench-proxmox: CloudPod clones through the daemon against the
// Proxmox API simulator (tests/proxmox_sim), inside
// `tests/harness/sandbox.sh --proxmox-sim` (bench/run-proxmox.sh runs it).
//
//   sequential  one clone at a time: HTTP requests per clone (job calls,
//               task polls, and the daemon's cluster refreshes apart), how
//               soon the first task poll comes, wall time submit -> done.
//   burst       N clones submitted at once, spread over one template per
//               node of a three-node cluster: every job done or failed with
//               a named error, no vmid or address handed out twice, and
//               ListMachines latency meanwhile.
//
// Raw samples go to OUT/proxmox.jsonl (the Record lines of
// bench/support/results.h), the report to OUT/proxmox.md, and the
// simulator's request lists of each sample to OUT/proxmox-requests.json.
#include <CLI/CLI.hpp>

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <exception>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "proxmox_requests.h"
#include "pve_control.h"
#include "support/results.h"
#include "support/stats.h"
#include "support/stopwatch.h"
#include "zenith/client/client.h"

namespace zb = zenith::bench;
namespace pve = zenith::bench::pve;
namespace zc = zenith::client;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// ---- goals of the issue ------------------------------------------------------------------------
constexpr unsigned kGoalRequests = 6;      // per clone, task polls not counted
constexpr double kGoalFirstPollMs = 100;   // first task poll after the clone call's answer
constexpr double kGoalListP99Ms = 10;      // ListMachines p99 during the burst

constexpr const char* kGroup = "proxmox";

// ---- small helpers -----------------------------------------------------------------------------

std::string describe(const zc::Error& e) { return e.name.empty() ? e.message : e.name + ": " + e.message; }

template <typename T>
T orThrow(zc::Result<T> r, const std::string& what)
{
    if (!r)
        throw std::runtime_error(what + ": " + describe(r.error()));
    return std::move(*r);
}

zc::Client connect()
{
    return orThrow(zc::Client::connect(), "cannot reach the provisioner");
}

double nowEpoch()
{
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string ms(double v)
{
    if (v >= 100)
        return fmt::format("{:.0f} ms", v);
    if (v >= 10)
        return fmt::format("{:.1f} ms", v);
    return fmt::format("{:.2f} ms", v);
}

std::string num(double v)
{
    return v == static_cast<double>(static_cast<long long>(v)) ? fmt::format("{:.0f}", v) : fmt::format("{:.1f}", v);
}

void expectDone(const zc::Job& job, const std::string& what, std::chrono::milliseconds timeout = 3min)
{
    auto r = job.wait({}, timeout);
    if (!r)
        throw std::runtime_error(what + ": " + describe(r.error()));
    if (!r->ok())
        throw std::runtime_error(fmt::format("{}: job {} {}: {}: {}", what, r->id, r->result, r->errorName,
                                             r->errorMessage));
}

std::optional<zc::MachineInfo> findMachine(zc::Client& c, const std::string& name)
{
    auto m = c.machine(name);
    if (!m)
        return std::nullopt;
    return *m;
}

bool waitForState(zc::Client& c, const std::string& name, const std::string& state, std::chrono::seconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (auto m = findMachine(c, name); m && m->state == state)
            return true;
        std::this_thread::sleep_for(200ms);
    }
    return false;
}

std::string hostPart(const std::string& a) { return a.substr(0, a.find('/')); }

// "name=eth0,bridge=vmbr0,...,ip=10.1.10.91/24,..." -> "10.1.10.91"
std::string ipOfNet0(const std::string& net0)
{
    for (size_t start = 0; start <= net0.size();) {
        size_t comma = net0.find(',', start);
        std::string item = net0.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (item.starts_with("ip="))
            return hostPart(item.substr(3));
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    return {};
}

std::string configText(const json& guest, const char* key)
{
    if (!guest.is_object() || !guest.contains("config") || !guest["config"].contains(key))
        return {};
    const auto& v = guest["config"][key];
    return v.is_string() ? v.get<std::string>() : v.dump();
}

// Destroys (FORCE) what it was given when it goes away: a failed run
// leaves no clone behind.
class Made {
public:
    explicit Made(zc::Client& c) : c_(c) {}
    ~Made()
    {
        for (const auto& name : names_)
            if (auto j = c_.destroy(name, zc::kFlagForce))
                (void)j->wait({}, 2min);
    }
    void add(const std::string& n)
    {
        std::lock_guard lock(m_);
        names_.insert(n);
    }
    void remove(const std::string& n)
    {
        std::lock_guard lock(m_);
        names_.erase(n);
    }

private:
    zc::Client& c_;
    std::mutex m_;
    std::set<std::string> names_;
};

struct Output {
    std::string dir;
    std::string jsonl() const { return dir + "/proxmox.jsonl"; }
    std::string md() const { return dir + "/proxmox.md"; }
    std::string requests() const { return dir + "/proxmox-requests.json"; }
};

void record(const Output& out, const std::string& op, const std::string& who, const std::string& unit,
            std::vector<double> samples, const std::string& note = {})
{
    zb::appendRecord(out.jsonl(), zb::Record{kGroup, op, who, unit, std::move(samples), note});
}

// A row of the report table.
struct Row {
    std::string what;
    zb::Summary s;
    std::string unit;  // "ms" or "" (a count)
    std::string goal, verdict;
    bool showP99 = false;
};

std::string fmtValue(double v, const std::string& unit) { return unit == "ms" ? ms(v) : num(v); }

std::string table(const std::vector<Row>& rows)
{
    std::string out = "| measurement | median | p90 | p99 | min – max | n | goal | verdict |\n"
                      "|---|---:|---:|---:|---:|---:|---|---|\n";
    for (const auto& r : rows) {
        if (r.s.n == 0) {
            out += fmt::format("| {} | | | | | 0 | {} | {} |\n", r.what, r.goal, r.verdict);
            continue;
        }
        out += fmt::format("| {} | {} | {} | {} | {} – {} | {} | {} | {} |\n", r.what, fmtValue(r.s.median, r.unit),
                           fmtValue(r.s.p90, r.unit), r.showP99 ? fmtValue(r.s.p99, r.unit) : std::string(),
                           fmtValue(r.s.min, r.unit), fmtValue(r.s.max, r.unit), r.s.n, r.goal, r.verdict);
    }
    return out;
}

std::string shapesText(const std::map<std::string, unsigned>& shapes, double per)
{
    std::string out;
    for (const auto& [s, n] : shapes)
        out += fmt::format("  - `{}`: {}\n", s, per > 1 ? fmt::format("{} ({:.2f} per clone)", n, n / per)
                                                         : std::to_string(n));
    return out.empty() ? "  - (none)\n" : out;
}

// ---- sequential ---------------------------------------------------------------------------------

struct SequentialResult {
    std::vector<double> wall, api, statusPolls, logReads, pollRequests, background, cloneFirstPoll, startFirstPoll,
        cloneStatusPolls, startStatusPolls, cloneSeen, startSeen, before, span, after, statusToLog;
    std::map<std::string, unsigned> apiShapes, backgroundShapes, failures;
    std::string source;
    int runs = 0;
};

SequentialResult runSequential(const Output& out, int runs, const std::string& source, uint32_t firstVmid,
                               json& rawRequests)
{
    auto c = connect();
    Made made(c);
    if (!waitForState(c, source, "template", 40s))
        throw std::runtime_error(source + " is not listed as a template 40 s after start (the daemon's first "
                                          "cluster read)");
    SequentialResult res;
    res.source = source;
    res.runs = runs;
    json raw = json::array();
    for (int i = 0; i < runs; ++i) {
        const std::string name = fmt::format("pod-{}", i + 1);
        const uint32_t vmid = firstVmid + static_cast<uint32_t>(i);
        zc::Spec spec;
        spec.setVmid(vmid).setIpv4("auto");
        pve::controlPost("/requests/reset");

        const double submitted = nowEpoch();
        zb::Stopwatch sw;
        auto sub = orThrow(c.clone(source, name, spec), "clone " + name);
        made.add(name);
        auto r = sub.job.wait({}, 3min);
        const double wall = sw.ms();
        const double done = nowEpoch();
        if (!r)
            throw std::runtime_error("clone " + name + ": " + describe(r.error()));
        if (!r->ok())
            throw std::runtime_error(fmt::format("clone {}: {}: {}", name, r->errorName, r->errorMessage));

        // Outside the timed part: the refresh the clone asked for
        // (refreshSoon) lands in the list too, to be counted apart.
        std::this_thread::sleep_for(500ms);
        auto list = pve::controlGet("/requests");
        auto reqs = pve::parseRequests(list);
        auto w = pve::analyze(reqs);
        raw.push_back({{"run", i + 1}, {"machine", name}, {"wall_ms", wall}, {"submitted", submitted},
                       {"done", done}, {"requests", list}});

        res.wall.push_back(wall);
        res.api.push_back(w.api);
        res.statusPolls.push_back(w.statusPolls);
        res.logReads.push_back(w.logReads);
        res.pollRequests.push_back(w.taskPolls());
        res.background.push_back(w.background);
        res.statusToLog.insert(res.statusToLog.end(), w.statusToLogMs.begin(), w.statusToLogMs.end());
        for (const auto& [s, n] : w.apiShapes)
            res.apiShapes[s] += n;
        for (const auto& [s, n] : w.backgroundShapes)
            res.backgroundShapes[s] += n;
        for (const auto& [s, n] : w.failures)
            res.failures[s] += n;
        for (const auto& t : w.tasks) {
            if (t.type == "vzclone") {
                if (t.firstPollMs)
                    res.cloneFirstPoll.push_back(*t.firstPollMs);
                if (t.lastPollMs)
                    res.cloneSeen.push_back(*t.lastPollMs);
                res.cloneStatusPolls.push_back(t.statusPolls);
            } else if (t.type == "vzstart") {
                if (t.firstPollMs)
                    res.startFirstPoll.push_back(*t.firstPollMs);
                if (t.lastPollMs)
                    res.startSeen.push_back(*t.lastPollMs);
                res.startStatusPolls.push_back(t.statusPolls);
            }
        }
        if (w.firstJobRequest > 0) {
            res.before.push_back((w.firstJobRequest - submitted) * 1000);
            res.span.push_back((w.lastJobAnswer - w.firstJobRequest) * 1000);
            res.after.push_back((done - w.lastJobAnswer) * 1000);
        }

        auto info = orThrow(c.machine(name), "GetMachine " + name);
        fmt::print("clone {} (CT {}, {}): {:.0f} ms, {} API requests, {} task polls ({} status + {} log), {} "
                   "refresh requests\n",
                   name, info.vmid, info.addresses.empty() ? std::string("no address") : info.addresses.front(), wall,
                   w.api, w.taskPolls(), w.statusPolls, w.logReads, w.background);
        if (info.vmid != vmid)
            throw std::runtime_error(fmt::format("{} has vmid {}, asked for {}", name, info.vmid, vmid));

        // Not timed: the clone goes again.
        auto job = orThrow(c.destroy(name, zc::kFlagForce), "destroy " + name);
        expectDone(job, "destroy " + name);
        made.remove(name);
        std::this_thread::sleep_for(300ms);
    }
    rawRequests["sequential"] = std::move(raw);

    record(out, "clone-wall", "zenith", "ms", res.wall, "CloneMachine(vmid, ipv4=auto) -> Completed(done), started");
    record(out, "clone-api-requests", "zenith", "requests", res.api, "per clone, task polls and refreshes not counted");
    record(out, "clone-task-poll-requests", "zenith", "requests", res.pollRequests, "status + log, per clone");
    record(out, "clone-status-polls", "zenith", "requests", res.statusPolls, "per clone");
    record(out, "clone-refresh-requests", "zenith", "requests", res.background,
           "cluster refresh requests within 0.5 s of each clone's end");
    record(out, "first-poll-vzclone", "zenith", "ms", res.cloneFirstPoll,
           "clone call answered -> first status poll arrives (simulator clock)");
    record(out, "first-poll-vzstart", "zenith", "ms", res.startFirstPoll,
           "start call answered -> first status poll arrives (simulator clock)");
    record(out, "status-answered-to-log-read", "zenith", "ms", res.statusToLog,
           "a status poll answered -> the log read sent right after it arrives (simulator clock)");
    return res;
}

// ---- the burst: seed, clones at once, ListMachines meanwhile ---------------------------------------

struct SeedTemplate {
    uint32_t vmid = 0;
    std::string node, hostname, storage;
    uint32_t cores = 0, memoryMb = 0, swapMb = 0;
    bool nesting = false;
};

std::vector<SeedTemplate> seedTemplates(const json& seed)
{
    std::vector<SeedTemplate> out;
    for (const auto& g : seed.at("guests")) {
        if (g.value("type", "") != "lxc" || !g.contains("config"))
            continue;
        const auto& cfg = g["config"];
        if (!cfg.contains("template") || cfg["template"].dump() != "1")
            continue;
        SeedTemplate t;
        t.vmid = g.at("vmid").get<uint32_t>();
        t.node = g.at("node").get<std::string>();
        t.hostname = cfg.value("hostname", "");
        const std::string rootfs = cfg.value("rootfs", "");
        t.storage = rootfs.substr(0, rootfs.find(':'));
        t.cores = cfg.value("cores", 0u);
        t.memoryMb = cfg.value("memory", 0u);
        t.swapMb = cfg.value("swap", 0u);
        t.nesting = cfg.value("features", "").find("nesting=1") != std::string::npos;
        out.push_back(std::move(t));
    }
    return out;
}

bool matchesSeed(const json& state, const SeedTemplate& t)
{
    const auto& guests = state.at("guests");
    auto it = guests.find(std::to_string(t.vmid));
    if (it == guests.end())
        return false;
    const json& g = *it;
    return g.value("type", "") == "lxc" && g.value("node", "") == t.node && configText(g, "hostname") == t.hostname &&
           configText(g, "template") == "1" &&
           configText(g, "rootfs").starts_with(fmt::format("{}:base-{}-disk-0", t.storage, t.vmid));
}

// sandbox.sh starts the simulator with its built-in seed and has no way to
// pass --seed, and POST /reset goes back to that same seed: the seed's
// templates are made here instead, through the daemon (create from the
// node's ostemplate with the seed's vmid, node, storage and resources,
// then TemplateMachine), after destroying whatever holds their vmids.
// Returns what was done, for the report.
std::string applySeed(const std::string& seedFile, std::vector<SeedTemplate>& templates)
{
    std::ifstream in(seedFile);
    if (!in)
        throw std::runtime_error("cannot read the seed " + seedFile);
    const json seed = json::parse(in);
    templates = seedTemplates(seed);
    if (templates.empty())
        throw std::runtime_error(seedFile + " has no CT template");
    std::string ostemplate;
    for (const auto& v : seed.at("volumes"))
        if (v.value("volid", "").find(":vztmpl/") != std::string::npos)
            ostemplate = v["volid"].get<std::string>();
    if (ostemplate.empty())
        throw std::runtime_error(seedFile + " has no vztmpl volume to make the templates from");

    auto c = connect();
    std::string log;
    json state = pve::controlGet("/state");
    std::vector<SeedTemplate> todo;
    for (const auto& t : templates)
        if (!matchesSeed(state, t))
            todo.push_back(t);
    // Whatever holds a vmid or a name the seed needs goes first; the
    // daemon lists the cluster's guests after its first read of it (at
    // start), so wait for those guests to be machines.
    std::set<uint32_t> taken;
    for (const auto& t : todo)
        if (state.at("guests").contains(std::to_string(t.vmid)))
            taken.insert(t.vmid);
    std::set<std::string> doomed;
    const auto deadline = std::chrono::steady_clock::now() + 40s;
    for (;;) {
        doomed.clear();
        std::set<uint32_t> seen;
        for (const auto& row : orThrow(c.machines(), "ListMachines")) {
            auto info = findMachine(c, row.name);
            if (!info || info->backend != "proxmox-lxc")
                continue;
            seen.insert(info->vmid);
            for (const auto& t : todo)
                if (info->vmid == t.vmid || info->name == t.hostname)
                    doomed.insert(info->name);
        }
        if (std::includes(seen.begin(), seen.end(), taken.begin(), taken.end()))
            break;
        if (std::chrono::steady_clock::now() >= deadline)
            throw std::runtime_error("the daemon does not list the cluster's guests 40 s after start");
        std::this_thread::sleep_for(200ms);
    }
    for (const auto& name : doomed) {
        expectDone(orThrow(c.destroy(name, zc::kFlagForce), "destroy " + name), "destroy " + name);
        log += fmt::format("destroyed {} (holds a vmid or name of the seed)\n", name);
    }
    for (const auto& t : todo) {
        zc::Spec spec;
        spec.setVmid(t.vmid).setNode(t.node).setStorage(t.storage).setBridge("vmbr0");
        if (auto r = spec.set("ostemplate", ostemplate); !r)
            throw std::runtime_error(describe(r.error()));
        if (t.cores)
            spec.setCores(t.cores);
        if (t.memoryMb)
            spec.setMemoryMax(uint64_t{t.memoryMb} << 20);
        if (t.swapMb)
            spec.setSwapMax(uint64_t{t.swapMb} << 20);
        if (t.nesting)
            (void)spec.set("nesting", true);
        auto sub = orThrow(c.create(t.hostname, "proxmox-lxc", spec, zc::kFlagNoStart), "create " + t.hostname);
        expectDone(sub.job, "create " + t.hostname);
        expectDone(orThrow(c.makeTemplate(t.hostname), "template " + t.hostname), "template " + t.hostname);
        log += fmt::format("made {} (CT {} on {}, {}) with CreateMachine + TemplateMachine\n", t.hostname, t.vmid,
                           t.node, t.storage);
    }
    state = pve::controlGet("/state");
    for (const auto& t : templates) {
        if (!matchesSeed(state, t))
            throw std::runtime_error(fmt::format("after setup the cluster's CT {} is not the seed's {} on {} ({}): {}",
                                                 t.vmid, t.hostname, t.node, t.storage,
                                                 state["guests"].value(std::to_string(t.vmid), json()).dump()));
        if (!waitForState(c, t.hostname, "template", 40s))
            throw std::runtime_error(t.hostname + " is not listed as a template");
    }
    return log;
}

struct BurstJob {
    std::string name, source;
    double submitMs = 0;  // the CloneMachine call itself
    double totalMs = 0;   // submit -> Completed
    std::string result, errorName, errorMessage;
    uint32_t vmid = 0;
    std::string node, address;
};

struct BurstResult {
    std::vector<BurstJob> jobs;
    double totalMs = 0;
    std::vector<double> listIdle, listBurst;
    unsigned listErrors = 0;
    std::string setupLog;
    std::vector<std::string> problems;  // duplicates, unnamed errors, mismatches
    std::map<std::string, unsigned> outcomes;
    pve::RequestWindow window;
    std::vector<SeedTemplate> templates;
};

std::vector<double> listLoop(zc::Client& c, const std::function<bool()>& more, unsigned& errors)
{
    std::vector<double> samples;
    while (more()) {
        zb::Stopwatch sw;
        auto rows = c.machines();
        const double t = sw.ms();
        if (rows)
            samples.push_back(t);
        else
            ++errors;
        // A panel polls; it does not hammer (as bench/zenith_scenarios.cpp).
        std::this_thread::sleep_for(5ms);
    }
    return samples;
}

BurstResult runBurst(const Output& out, int count, int idleCalls, const std::string& seedFile, json& rawRequests)
{
    BurstResult res;
    res.setupLog = applySeed(seedFile, res.templates);
    fmt::print("{}", res.setupLog);

    auto lc = connect();
    {
        unsigned errors = 0;
        int n = 0;
        res.listIdle = listLoop(lc, [&] { return n++ < idleCalls; }, errors);
        res.listErrors += errors;
    }

    res.jobs.resize(static_cast<size_t>(count));
    for (int i = 0; i < count; ++i) {
        res.jobs[i].name = fmt::format("burst-{:02}", i + 1);
        res.jobs[i].source = res.templates[static_cast<size_t>(i) % res.templates.size()].hostname;
    }
    pve::controlPost("/requests/reset");

    std::atomic<int> finished{0};
    std::barrier gate(count + 1);
    std::vector<std::thread> threads;
    zb::Stopwatch total;
    for (int i = 0; i < count; ++i) {
        threads.emplace_back([&, i] {
            BurstJob& j = res.jobs[static_cast<size_t>(i)];
            std::optional<zc::Client> c;
            try {
                c.emplace(connect());
            } catch (const std::exception& e) {
                j.result = "client";
                j.errorMessage = e.what();
            }
            gate.arrive_and_wait();
            if (c) {
                zc::Spec spec;
                spec.setIpv4("auto");
                zb::Stopwatch sw;
                auto sub = c->clone(j.source, j.name, spec);
                j.submitMs = sw.ms();
                if (!sub) {
                    j.result = "refused";
                    j.errorName = sub.error().name;
                    j.errorMessage = sub.error().message;
                } else {
                    auto r = sub->job.wait({}, 4min);
                    j.totalMs = sw.ms();
                    if (!r) {
                        j.result = "wait-error";
                        j.errorName = r.error().name;
                        j.errorMessage = r.error().message;
                    } else {
                        j.result = r->result;
                        j.errorName = r->errorName;
                        j.errorMessage = r->errorMessage;
                    }
                }
            }
            ++finished;
        });
    }
    std::vector<double> burstList;
    unsigned burstErrors = 0;
    std::thread lister([&] {
        gate.arrive_and_wait();
        burstList = listLoop(lc, [&] { return finished.load() < count; }, burstErrors);
    });
    for (auto& t : threads)
        t.join();
    res.totalMs = total.ms();
    lister.join();
    res.listBurst = std::move(burstList);
    res.listErrors += burstErrors;

    std::this_thread::sleep_for(500ms);
    auto list = pve::controlGet("/requests");
    res.window = pve::analyze(pve::parseRequests(list));
    rawRequests["burst"] = list;

    // What the daemon and the cluster say about each clone.
    auto c = connect();
    Made made(c);
    const json state = pve::controlGet("/state");
    std::map<uint32_t, std::vector<std::string>> byVmid;
    std::map<std::string, std::vector<std::string>> byAddress, byClusterIp;
    for (auto& j : res.jobs) {
        const std::string outcome = j.result == "done" ? "done" : fmt::format("{} {}", j.result, j.errorName);
        ++res.outcomes[outcome];
        if (j.result != "done" && j.errorName.empty())
            res.problems.push_back(fmt::format("{} ended {} without an error name: {}", j.name, j.result,
                                               j.errorMessage));
        auto info = findMachine(c, j.name);
        if (info)
            made.add(j.name);
        if (j.result != "done") {
            if (info)
                res.problems.push_back(fmt::format("{} failed ({}) but is still a machine ({})", j.name, j.errorName,
                                                   info->state));
            for (const auto& [id, g] : state.at("guests").items())
                if (configText(g, "hostname") == j.name)
                    res.problems.push_back(fmt::format("{} failed but CT {} on the cluster is named so", j.name, id));
            continue;
        }
        if (!info) {
            res.problems.push_back(j.name + " is done but not a machine");
            continue;
        }
        j.vmid = info->vmid;
        j.node = info->node;
        j.address = info->addresses.empty() ? std::string() : hostPart(info->addresses.front());
        byVmid[j.vmid].push_back(j.name);
        if (!j.address.empty())
            byAddress[j.address].push_back(j.name);
        else
            res.problems.push_back(j.name + " has no address");
        auto g = state.at("guests").find(std::to_string(j.vmid));
        if (g == state.at("guests").end()) {
            res.problems.push_back(fmt::format("{}: no CT {} on the cluster", j.name, j.vmid));
            continue;
        }
        if (configText(*g, "hostname") != j.name)
            res.problems.push_back(fmt::format("{}: CT {} on the cluster is named {}", j.name, j.vmid,
                                               configText(*g, "hostname")));
        if (g->value("status", "") != "running")
            res.problems.push_back(fmt::format("{}: CT {} is {}", j.name, j.vmid, g->value("status", "")));
        const std::string ip = ipOfNet0(configText(*g, "net0"));
        byClusterIp[ip].push_back(j.name);
        if (ip != j.address)
            res.problems.push_back(fmt::format("{}: the daemon says {}, CT {}'s net0 says {}", j.name, j.address,
                                               j.vmid, ip));
    }
    for (const auto& [vmid, names] : byVmid)
        if (names.size() > 1)
            res.problems.push_back(fmt::format("vmid {} handed out {} times: {}", vmid, names.size(),
                                               fmt::join(names, ", ")));
    for (const auto& [a, names] : byAddress)
        if (names.size() > 1)
            res.problems.push_back(fmt::format("address {} handed out {} times: {}", a, names.size(),
                                               fmt::join(names, ", ")));
    for (const auto& [a, names] : byClusterIp)
        if (names.size() > 1)
            res.problems.push_back(fmt::format("net0 ip {} on {} CTs: {}", a, names.size(), fmt::join(names, ", ")));

    // Clean up: every clone destroyed (FORCE), all at once.
    std::vector<std::pair<std::string, zc::Job>> destroys;
    for (const auto& j : res.jobs)
        if (findMachine(c, j.name))
            if (auto job = c.destroy(j.name, zc::kFlagForce))
                destroys.emplace_back(j.name, *job);
    for (auto& [name, job] : destroys) {
        auto r = job.wait({}, 3min);
        if (r && r->ok())
            made.remove(name);
        else
            res.problems.push_back(fmt::format("cleanup: destroy {}: {}", name,
                                               r ? r->errorName + ": " + r->errorMessage : describe(r.error())));
    }

    std::vector<double> durations;
    for (const auto& j : res.jobs)
        if (j.result == "done")
            durations.push_back(j.totalMs);
    record(out, "burst-job", "zenith", "ms", durations,
           fmt::format("{} clones submitted at once, ipv4=auto, no vmid; submit -> done of those done", count));
    record(out, "burst-total", "zenith", "ms", {res.totalMs}, "first submit -> last job finished");
    record(out, "list-latency", "zenith (idle)", "ms", res.listIdle, "ListMachines, 5 ms apart");
    record(out, "list-latency", "zenith (clone burst)", "ms", res.listBurst,
           "ListMachines, 5 ms apart, while the burst's jobs ran");
    record(out, "burst-api-requests", "zenith", "requests", {double(res.window.api)}, "whole burst");
    record(out, "burst-task-poll-requests", "zenith", "requests", {double(res.window.taskPolls())}, "whole burst");
    record(out, "burst-refresh-requests", "zenith", "requests", {double(res.window.background)}, "whole burst");
    return res;
}

// ---- the report -----------------------------------------------------------------------------------

std::string machineFacts()
{
    std::string out;
    auto stamp = [] {
        std::time_t t = std::time(nullptr);
        char buf[64];
        std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
        return std::string(buf);
    };
    out += "date: " + stamp() + "\n";
    out += fmt::format("cpu: {} cores\n", std::thread::hardware_concurrency());
    utsname u{};
    if (::uname(&u) == 0)
        out += fmt::format("kernel: {}\n", u.release);
    std::ifstream load("/proc/loadavg");
    std::string l1, l5, l15;
    if (load >> l1 >> l5 >> l15)
        out += fmt::format("load: {} {} {}\n", l1, l5, l15);
    return out;
}

std::string verdict(bool met) { return met ? "met" : "MISSED"; }

std::string sequentialReport(const SequentialResult& r)
{
    std::string md;
    md += fmt::format("## One CloudPod clone at a time ({} runs)\n\n", r.runs);
    md += fmt::format("`CloneMachine {} -> pod-N` with `vmid` and `ipv4=auto`, as root, waited for; the "
                      "simulator's request list emptied before each clone and read 0.5 s after its end (the "
                      "refresh the clone asks for lands in it and is counted apart).\n\n",
                      r.source);
    auto api = zb::summarize(r.api);
    auto cloneFirst = zb::summarize(r.cloneFirstPoll);
    std::vector<Row> rows{
        {"wall time submit -> done (clone, config, start)", zb::summarize(r.wall), "ms", "", ""},
        {"API requests per clone (task polls, refreshes not counted)", api, "",
         fmt::format("≤ {}", kGoalRequests), verdict(api.n && api.max <= kGoalRequests)},
        {"task poll requests per clone (status + log)", zb::summarize(r.pollRequests), "", "(counted apart)", ""},
        {"  of which status polls", zb::summarize(r.statusPolls), "", "", ""},
        {"  of which log reads", zb::summarize(r.logReads), "", "", ""},
        {"status polls of the clone task (vzclone)", zb::summarize(r.cloneStatusPolls), "", "", ""},
        {"status polls of the start task (vzstart)", zb::summarize(r.startStatusPolls), "", "", ""},
        {"clone call answered (simulator clock) -> first status poll arrives", cloneFirst, "ms",
         fmt::format("≤ {:.0f} ms", kGoalFirstPollMs),
         verdict(cloneFirst.n && cloneFirst.max <= kGoalFirstPollMs)},
        {"start call answered (simulator clock) -> first status poll arrives", zb::summarize(r.startFirstPoll), "ms",
         "(context)", ""},
        {"status poll answered -> the log read right after it arrives (per-request cost)",
         zb::summarize(r.statusToLog), "ms", "(context)", ""},
        {"clone call answered -> poll that saw vzclone end", zb::summarize(r.cloneSeen), "ms", "", ""},
        {"start call answered -> poll that saw vzstart end", zb::summarize(r.startSeen), "ms", "", ""},
        {"submit -> first API request arrives", zb::summarize(r.before), "ms", "", ""},
        {"first API request -> last answer", zb::summarize(r.span), "ms", "", ""},
        {"last answer -> client sees done", zb::summarize(r.after), "ms", "", ""},
        {"cluster refresh requests per clone (background)", zb::summarize(r.background), "", "(counted apart)", ""},
    };
    md += table(rows);
    md += "\nAPI requests of all runs, by kind:\n\n" + shapesText(r.apiShapes, r.runs);
    md += "\nCluster refresh requests of all runs (not counted above):\n\n" + shapesText(r.backgroundShapes, r.runs);
    if (!r.failures.empty()) {
        md += "\nAnswers other than 2xx:\n\n";
        for (const auto& [f, n] : r.failures)
            md += fmt::format("  - {} x{}\n", f, n);
    }
    md += "\n";
    return md;
}

std::string burstReport(const BurstResult& r, int count)
{
    std::string md;
    md += fmt::format("## {} CloudPod clones at once, three-node cluster\n\n", count);
    md += "Templates (bench/proxmox-seed.json):";
    for (const auto& t : r.templates)
        md += fmt::format(" {} (CT {} on {}, {})", t.hostname, t.vmid, t.node, t.storage);
    md += ".\n\nSetup (sandbox.sh cannot pass `--seed` to the simulator and `POST /reset` goes back to the seed it "
          "started with, so the seed's templates were made through the daemon):\n\n";
    std::istringstream setup(r.setupLog.empty() ? std::string("(the cluster already matched the seed)\n") : r.setupLog);
    for (std::string line; std::getline(setup, line);)
        md += "  - " + line + "\n";
    md += fmt::format("\n{} clones submitted at once from {} client connections (ipv4=auto, no vmid, sources in "
                      "turn), ListMachines called 5 ms apart from another connection until the last job ended.\n\n",
                      count, count);
    auto listBurst = zb::summarize(r.listBurst);
    std::vector<double> durations, submits;
    for (const auto& j : r.jobs) {
        if (j.result == "done")
            durations.push_back(j.totalMs);
        submits.push_back(j.submitMs);
    }
    std::vector<Row> rows{
        {"all jobs, first submit -> last finished", zb::summarize({r.totalMs}), "ms", "", ""},
        {"one job, submit -> done (those done)", zb::summarize(durations), "ms", "", ""},
        {"the CloneMachine call itself", zb::summarize(submits), "ms", "", ""},
        {"ListMachines latency, idle (before)", zb::summarize(r.listIdle), "ms", "", "", true},
        {"ListMachines latency during the burst", listBurst, "ms", fmt::format("p99 ≤ {:.0f} ms", kGoalListP99Ms),
         verdict(listBurst.n && listBurst.p99 <= kGoalListP99Ms), true},
    };
    md += table(rows);
    md += "\nOutcomes:\n\n";
    for (const auto& [o, n] : r.outcomes)
        md += fmt::format("  - {}: {}\n", o, n);
    if (r.listErrors)
        md += fmt::format("  - ListMachines calls that failed: {}\n", r.listErrors);
    md += "\nChecks (every job done or failed with a named error; no vmid or address twice among the done "
          "clones, by the daemon's machine info and by the CTs' net0 on the simulator; failed clones left nothing "
          "behind): ";
    if (r.problems.empty()) {
        md += "all passed.\n";
    } else {
        md += fmt::format("{} problem(s):\n\n", r.problems.size());
        for (const auto& p : r.problems)
            md += "  - " + p + "\n";
    }
    md += "\nPer job (submit order):\n\n| job | source | result | vmid | node | address | submit -> end |\n"
          "|---|---|---|---:|---|---|---:|\n";
    for (const auto& j : r.jobs)
        md += fmt::format("| {} | {} | {}{} | {} | {} | {} | {} |\n", j.name, j.source, j.result,
                          j.errorName.empty() ? std::string() : " " + j.errorName, j.vmid ? std::to_string(j.vmid) : "",
                          j.node, j.address, ms(j.totalMs));
    const auto& w = r.window;
    md += fmt::format("\nRequests during the burst: {} API requests ({:.1f} per clone), {} task poll requests ({} "
                      "status + {} log), {} cluster refresh requests.\n\nAPI requests by kind:\n\n",
                      w.api, count ? double(w.api) / count : 0.0, w.taskPolls(), w.statusPolls, w.logReads,
                      w.background);
    md += shapesText(w.apiShapes, count);
    md += "\nCluster refresh requests:\n\n" + shapesText(w.backgroundShapes, 0);
    if (!w.failures.empty()) {
        md += "\nAnswers other than 2xx:\n\n";
        for (const auto& [f, n] : w.failures)
            md += fmt::format("  - {} x{}\n", f, n);
    }
    md += "\n";
    return md;
}

}  // namespace

int main(int argc, char** argv)
{
    CLI::App app{"CloudPod clones against the Proxmox simulator (see bench/README.md, \"Proxmox\")"};
    Output out;
    int runs = 10, burst = 20, idleCalls = 300;
    uint32_t firstVmid = 9101;
    std::string source = "cloudpod-template", seed, only = "sequential,burst";
    app.add_option("--out", out.dir, "results directory (proxmox.jsonl, proxmox.md, proxmox-requests.json)")
        ->required();
    app.add_option("--runs", runs, "sequential clones")->check(CLI::PositiveNumber);
    app.add_option("--burst", burst, "clones submitted at once")->check(CLI::PositiveNumber);
    app.add_option("--idle-calls", idleCalls, "ListMachines calls before the burst")->check(CLI::PositiveNumber);
    app.add_option("--source", source, "template of the sequential clones");
    app.add_option("--first-vmid", firstVmid, "vmid of the first sequential clone");
    app.add_option("--seed", seed, "the burst's cluster (JSON seed, tests/proxmox_sim/README.md)")->required();
    app.add_option("--only", only, "sequential,burst");
    CLI11_PARSE(app, argc, argv);
    auto wants = [&](const std::string& what) {
        return ("," + only + ",").find("," + what + ",") != std::string::npos;
    };

    std::ofstream(out.jsonl(), std::ios::trunc);
    std::string md = "# Proxmox: CloudPod clones against the simulator\n\n```\n" + machineFacts();
    json raw = json::object();
    int status = 0;
    try {
        const json state = pve::controlGet("/state");
        const double speed = state.value("speed", 1.0);
        md += fmt::format("simulator speed: {} (task durations x{}: linked CT clone {:.0f} ms, CT start {:.0f} ms)\n",
                          speed, speed, 300 * speed, 500 * speed);
        md += fmt::format("simulator nodes: {}\n", state.at("nodes").size());
        md += "```\n\n";
        record(out, "sim-speed", "simulator", "factor", {speed});
        {
            auto p = pve::probeTransport(20);
            record(out, "transport-handshake", "curl (fresh connection)", "ms", p.handshake,
                   "TCP connect + TLS handshake to a simulator node, CA verified");
            auto hs = zb::summarize(p.handshake);
            md += fmt::format(
                "## Transport to the simulator\n\n"
                "The daemon keeps its connections to the nodes open between requests "
                "(service/drivers/proxmox/client/curl_transport.cpp reuses its curl handles); what a fresh "
                "connection costs, measured from here against node {} ({} fresh connections, CA verified):\n\n",
                p.node, hs.n);
            md += table({{"TCP connect + TLS handshake", hs, "ms", "", ""}});
            md += "\nWhat a whole request costs the daemon beyond the simulator's handler shows in the sequential "
                  "runs below (status poll answered -> the log read sent right after it arrives): the handshake "
                  "above plus the simulator's own transport, whose node servers send an answer in several small "
                  "writes on keep-alive sockets without TCP_NODELAY, so the last write waits for the client's "
                  "delayed ACK (about 40 ms on Linux; see bench/README.md).\n\n";
        }
        if (wants("sequential")) {
            auto r = runSequential(out, runs, source, firstVmid, raw);
            md += sequentialReport(r);
        }
        if (wants("burst")) {
            auto r = runBurst(out, burst, idleCalls, seed, raw);
            md += burstReport(r, burst);
            if (!r.problems.empty())
                status = 1;
        }
    } catch (const std::exception& e) {
        md += fmt::format("\n**The run stopped:** {}\n", e.what());
        std::fprintf(stderr, "zenith-bench-proxmox: %s\n", e.what());
        status = 1;
    }
    std::ofstream(out.md(), std::ios::trunc) << md;
    std::ofstream(out.requests(), std::ios::trunc) << raw.dump() << '\n';
    std::fputs(md.c_str(), stdout);
    return status;
}
