#include "zenith_scenarios.h"

#include <atomic>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "support/proc_status.h"
#include "support/results.h"
#include "support/stopwatch.h"
#include "zenith/client/client.h"

namespace zenith::bench {

namespace zc = zenith::client;
using namespace std::chrono_literals;

namespace {

std::string describe(const zc::Error& e)
{
    return e.name.empty() ? e.message : e.name + ": " + e.message;
}

zc::Client connect()
{
    auto c = zc::Client::connect();
    if (!c)
        throw std::runtime_error("cannot reach the provisioner: " + describe(c.error()));
    return std::move(*c);
}

// Waits for a job and insists that it succeeded: a failed create must stop
// the benchmark, never become a fast sample.
void expectDone(const zc::Job& job, const std::string& what)
{
    auto r = job.wait({}, std::chrono::minutes(10));
    if (!r)
        throw std::runtime_error(what + ": " + describe(r.error()));
    if (!r->ok())
        throw std::runtime_error(fmt::format("{}: job {} {}: {}: {}", what, r->id, r->result, r->errorName,
                                             r->errorMessage));
}

template <typename T>
T orThrow(zc::Result<T> r, const std::string& what)
{
    if (!r)
        throw std::runtime_error(what + ": " + describe(r.error()));
    return std::move(*r);
}

// Machines this process made; whatever is left when a scenario throws is
// destroyed (FORCE), so a failed run leaves the daemon as it found it.
class Made {
public:
    explicit Made(zc::Client& c) : c_(c) {}
    ~Made()
    {
        for (const auto& name : names_)
            if (auto j = c_.destroy(name, zc::kFlagForce))
                (void)j->wait({}, std::chrono::minutes(2));
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

double timedCreate(zc::Client& c, Made& made, const std::string& name, uint64_t flags)
{
    Stopwatch sw;
    auto sub = orThrow(c.create(name, "nspawn", zc::Spec{}, flags), "create " + name);
    made.add(name);
    expectDone(sub.job, "create " + name);
    return sw.ms();
}

double timedDestroy(zc::Client& c, Made& made, const std::string& name, uint64_t flags)
{
    Stopwatch sw;
    auto job = orThrow(c.destroy(name, flags), "destroy " + name);
    expectDone(job, "destroy " + name);
    double ms = sw.ms();
    made.remove(name);
    return ms;
}

void expectState(zc::Client& c, const std::string& name, const std::string& state)
{
    auto m = orThrow(c.machine(name), "GetMachine " + name);
    if (m.state != state)
        throw std::runtime_error(fmt::format("{} is {}, expected {}", name, m.state, state));
}

void expectGone(zc::Client& c, const std::string& name)
{
    for (const auto& m : orThrow(c.machines(), "ListMachines"))
        if (m.name == name)
            throw std::runtime_error(name + " is still listed after its destroy");
}

}  // namespace

void zenithSeedImage(const ScenarioOptions& o)
{
    auto c = connect();
    Made made(c);
    Stopwatch sw;
    double create = timedCreate(c, made, "bench-seed", zc::kFlagNoStart);
    timedDestroy(c, made, "bench-seed", 0);
    fmt::print("base image ready (first create took {:.1f} s)\n", create / 1000);
}

void zenithCreateCached(const ScenarioOptions& o)
{
    auto c = connect();
    Made made(c);
    Record create{o.group, "create-cached", "zenith"};
    Record destroy{o.group, "destroy-stopped", "zenith"};
    for (int i = 0; i < o.runs; ++i) {
        std::string name = fmt::format("bench-c{}", i);
        create.samples.push_back(timedCreate(c, made, name, zc::kFlagNoStart));
        expectState(c, name, "stopped");
        settle(o);
        destroy.samples.push_back(timedDestroy(c, made, name, 0));
        expectGone(c, name);
        settle(o);
    }
    create.note = "CreateMachine(NO_START) -> Completed(done)";
    appendRecord(o.out, create);
    appendRecord(o.out, destroy);
}

void zenithCreateToRunning(const ScenarioOptions& o)
{
    auto c = connect();
    Made made(c);
    Record create{o.group, "create-to-running", "zenith"};
    Record destroy{o.group, "destroy-running", "zenith"};
    for (int i = 0; i < o.runs; ++i) {
        std::string name = fmt::format("bench-r{}", i);
        create.samples.push_back(timedCreate(c, made, name, 0));
        expectState(c, name, "running");
        destroy.samples.push_back(timedDestroy(c, made, name, zc::kFlagForce));
        expectGone(c, name);
        settle(o);
    }
    // The boot alone, to show what part of create-to-running is the
    // container's own systemd coming up.
    Record boot{o.group, "start", "zenith"};
    for (int i = 0; i < o.runs; ++i) {
        std::string name = fmt::format("bench-s{}", i);
        timedCreate(c, made, name, zc::kFlagNoStart);
        settle(o);
        Stopwatch sw;
        auto job = orThrow(c.start(name), "start " + name);
        expectDone(job, "start " + name);
        boot.samples.push_back(sw.ms());
        expectState(c, name, "running");
        timedDestroy(c, made, name, zc::kFlagForce);
        settle(o);
    }
    create.note = "CreateMachine -> Completed(done), job ends on the container's READY=1";
    destroy.note = "DestroyMachine(FORCE) of a running machine -> Completed(done)";
    boot.note = "StartMachine of a stopped machine -> Completed(done) on READY=1";
    appendRecord(o.out, create);
    appendRecord(o.out, destroy);
    appendRecord(o.out, boot);
}

void zenithClone(const ScenarioOptions& o)
{
    auto c = connect();
    Made made(c);
    timedCreate(c, made, "bench-src", zc::kFlagNoStart);
    Record clone{o.group, "clone", "zenith"};
    for (int i = 0; i < o.runs; ++i) {
        std::string name = fmt::format("bench-k{}", i);
        Stopwatch sw;
        auto sub = orThrow(c.clone("bench-src", name, zc::Spec{}, zc::kFlagNoStart), "clone " + name);
        made.add(name);
        expectDone(sub.job, "clone " + name);
        clone.samples.push_back(sw.ms());
        expectState(c, name, "stopped");
        settle(o);
        timedDestroy(c, made, name, 0);
        settle(o);
    }
    timedDestroy(c, made, "bench-src", 0);
    clone.note = "CloneMachine(NO_START) of a stopped machine -> Completed(done)";
    appendRecord(o.out, clone);
}

void zenithListDuringCreates(const ScenarioOptions& o, int calls)
{
    auto c = connect();
    Made made(c);
    // A few stopped machines, so the list has rows to encode.
    for (int i = 0; i < 3; ++i)
        timedCreate(c, made, fmt::format("bench-l{}", i), zc::kFlagNoStart);

    auto sampleList = [&](Record& rec, const std::function<bool()>& counts) {
        while (static_cast<int>(rec.samples.size()) < calls) {
            bool during = counts();
            Stopwatch sw;
            auto rows = orThrow(c.machines(), "ListMachines");
            double ms = sw.ms();
            if (rows.size() < 3)
                throw std::runtime_error("ListMachines lost rows");
            if (during && counts())
                rec.samples.push_back(ms);
            // A panel polls; it does not hammer. 5 ms apart still gives a
            // few hundred samples within a handful of creates.
            std::this_thread::sleep_for(5ms);
        }
    };

    Record idle{o.group, "list-latency", "zenith (idle)"};
    sampleList(idle, [] { return true; });

    // Two workers, each creating a running machine and destroying it again,
    // until the sampler has its calls. Only calls that began and ended while
    // a create job was in flight count.
    std::atomic<int> creating{0};
    std::atomic<bool> stop{false};
    std::atomic<int> creates{0};
    std::mutex errorMutex;
    std::string workerError;
    auto worker = [&](int w) {
        try {
            auto wc = connect();
            for (int i = 0; !stop; ++i) {
                std::string name = fmt::format("bench-w{}-{}", w, i);
                ++creating;
                double ms = 0;
                try {
                    ms = timedCreate(wc, made, name, 0);
                } catch (...) {
                    --creating;
                    throw;
                }
                --creating;
                ++creates;
                (void)ms;
                timedDestroy(wc, made, name, zc::kFlagForce);
            }
        } catch (const std::exception& e) {
            std::lock_guard lock(errorMutex);
            workerError = e.what();
            stop = true;
        }
    };
    std::thread w1(worker, 1), w2(worker, 2);
    Record busy{o.group, "list-latency", "zenith (2 creates running)"};
    try {
        sampleList(busy, [&] {
            if (stop)
                throw std::runtime_error("a create worker failed: " + workerError);
            return creating.load() > 0;
        });
    } catch (...) {
        stop = true;
        w1.join();
        w2.join();
        throw;
    }
    stop = true;
    w1.join();
    w2.join();
    if (!workerError.empty())
        throw std::runtime_error("a create worker failed: " + workerError);
    busy.note = fmt::format("{} creates (to running) by 2 clients during the calls", creates.load());
    appendRecord(o.out, idle);
    appendRecord(o.out, busy);
    for (int i = 0; i < 3; ++i)
        timedDestroy(c, made, fmt::format("bench-l{}", i), 0);
}

void recordDaemonMemory(const ScenarioOptions& o, int pid, const std::string& label)
{
    auto m = readMemoryStatus(pid);
    appendRecord(o.out, Record{"daemon", "rss-" + label, "zenith", "kB", {static_cast<double>(m.rssKb)}});
    appendRecord(o.out, Record{"daemon", "hwm-" + label, "zenith", "kB", {static_cast<double>(m.hwmKb)}});
    fmt::print("daemon {}: VmRSS {} kB, VmHWM {} kB\n", label, m.rssKb, m.hwmKb);
}

}  // namespace zenith::bench
