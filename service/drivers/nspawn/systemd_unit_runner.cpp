#include "drivers/nspawn/systemd_unit_runner.h"

#include <csignal>
#include <fmt/format.h>
#include <sdbus-c++/sdbus-c++.h>

#include "core/log.h"
#include "core/names.h"
#include "bus_loop/loop_call.h"

namespace zenith::drivers::nspawn {

namespace {

constexpr const char* kSystemd = "org.freedesktop.systemd1";
constexpr const char* kManagerIface = "org.freedesktop.systemd1.Manager";
constexpr const char* kUnitIface = "org.freedesktop.systemd1.Unit";
constexpr const char* kUnitPathPrefix = "/org/freedesktop/systemd1/unit/";
constexpr std::string_view kUnitPrefix = "systemd-nspawn@";
constexpr std::string_view kUnitSuffix = ".service";
constexpr size_t kFinishedEarlyKept = 64;
constexpr auto kQueryTimeout = std::chrono::seconds(10);

std::unexpected<core::Error> busFailure(std::string_view what, const sdbus::Error& e)
{
    return core::fail(core::ErrorCode::BackendFailed, fmt::format("{}: {}: {}", what, e.getName(), e.getMessage()));
}

}  // namespace

std::string nspawnUnitName(const std::string& machine)
{
    return fmt::format("{}{}{}", kUnitPrefix, machine, kUnitSuffix);
}

std::string machineOfNspawnUnit(const std::string& unit)
{
    if (unit.size() <= kUnitPrefix.size() + kUnitSuffix.size() || !unit.starts_with(kUnitPrefix) ||
        !unit.ends_with(kUnitSuffix))
        return {};
    return unit.substr(kUnitPrefix.size(), unit.size() - kUnitPrefix.size() - kUnitSuffix.size());
}

std::vector<sdbus::Struct<std::string, sdbus::Variant>> nspawnUnitLimits(const RunTarget& t)
{
    constexpr uint64_t kInfinity = UINT64_MAX;
    // CPUQuota=100% is one CPU second per second.
    const uint64_t cpu = t.cpuQuota ? uint64_t(t.cpuQuota) * 10000 : kInfinity;
    const uint64_t memory = t.memoryMax ? t.memoryMax : kInfinity;
    return {sdbus::Struct<std::string, sdbus::Variant>{"CPUQuotaPerSecUSec", sdbus::Variant(cpu)},
            sdbus::Struct<std::string, sdbus::Variant>{"MemoryMax", sdbus::Variant(memory)}};
}

core::Result<std::shared_ptr<SystemdUnitRunner>> SystemdUnitRunner::create(std::unique_ptr<sdbus::IConnection> connection)
{
    auto loop = busloop::EventLoop::create();
    if (!loop)
        return std::unexpected(loop.error());
    if (auto r = (*loop)->attach(*connection); !r)
        return std::unexpected(r.error());
    std::shared_ptr<SystemdUnitRunner> runner;
    try {
        runner.reset(new SystemdUnitRunner(std::move(connection), std::move(*loop)));
    } catch (const sdbus::Error& e) {
        return busFailure("cannot watch systemd's units", e);
    }
    // From here on only the runner's thread touches the connection.
    runner->thread_ = std::thread([r = runner.get()] { r->loop_->run(); });
    return runner;
}

SystemdUnitRunner::SystemdUnitRunner(std::unique_ptr<sdbus::IConnection> connection, std::unique_ptr<busloop::EventLoop> loop)
    : connection_(std::move(connection)),
      loop_(std::move(loop)),
      systemd_(sdbus::createProxy(*connection_, kSystemd, "/org/freedesktop/systemd1"))
{
    auto& conn = *connection_;
    systemd_->registerSignalHandler(kManagerIface, "JobRemoved", [this](sdbus::Signal& s) {
        uint32_t id = 0;
        sdbus::ObjectPath job;
        std::string unit, result;
        try {
            s >> id >> job >> unit >> result;
        } catch (const sdbus::Error&) {
            return;  // not the documented signature: not a job of ours
        }
        onJobRemoved(job, unit, result);
    });
    systemd_->finishRegistration();
    unitChanges_ = conn.addMatch(
        fmt::format("type='signal',sender='{}',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',"
                    "path_namespace='/org/freedesktop/systemd1/unit',arg0='{}'",
                    kSystemd, kUnitIface),
        [this](sdbus::Message& m) {
            std::string iface;
            std::map<std::string, sdbus::Variant> changed;
            try {
                m >> iface >> changed;
                onUnitPropertiesChanged(m.getPath(), changed);
            } catch (const sdbus::Error&) {
            }
        });
    // systemd only broadcasts JobRemoved to subscribed clients.
    auto subscribe = systemd_->createMethodCall(kManagerIface, "Subscribe");
    systemd_->callMethod(subscribe, [](sdbus::MethodReply&, const sdbus::Error* e) {
        if (e)
            log::warning({}, "systemd Subscribe failed: {}", e->getMessage());
    });
}

SystemdUnitRunner::~SystemdUnitRunner()
{
    if (thread_.joinable()) {
        // Refused only when the loop has already ended on its own.
        loop_->post([this] { loop_->exit(0); });
        thread_.join();
    }
    // The loop no longer runs: the bus objects can go, the connection last.
    systemd_.reset();
    unitChanges_.reset();
    waiting_.clear();
    loop_.reset();
    connection_.reset();
}

void SystemdUnitRunner::setExitListener(std::function<void(const std::string&)> listener)
{
    std::lock_guard lock(listenerMu_);
    exitListener_ = std::move(listener);
}

void SystemdUnitRunner::onUnitPropertiesChanged(const std::string& path,
                                                const std::map<std::string, sdbus::Variant>& changed)
{
    auto it = changed.find("ActiveState");
    if (it == changed.end() || !path.starts_with(kUnitPathPrefix))
        return;
    const auto state = it->second.get<std::string>();
    if (state != "inactive" && state != "failed")
        return;
    auto unit = core::busLabelUnescape(std::string_view(path).substr(std::string_view(kUnitPathPrefix).size()));
    const std::string machine = unit ? machineOfNspawnUnit(*unit) : std::string();
    if (machine.empty())
        return;
    std::lock_guard lock(listenerMu_);
    if (exitListener_)
        exitListener_(machine);
}

void SystemdUnitRunner::onJobRemoved(const std::string& jobPath, const std::string& unit, const std::string& result)
{
    auto it = waiting_.find(jobPath);
    if (it == waiting_.end()) {
        if (!machineOfNspawnUnit(unit).empty()) {
            if (finishedEarly_.size() >= kFinishedEarlyKept)
                finishedEarly_.erase(finishedEarly_.begin());
            finishedEarly_[jobPath] = result;
        }
        return;
    }
    auto done = std::move(it->second);
    waiting_.erase(it);
    if (result == "done")
        done({});
    else
        done(core::fail(core::ErrorCode::BackendFailed, fmt::format("{} job for {} ended '{}'", "systemd", unit, result)));
}

void SystemdUnitRunner::runUnitJob(const std::string& method, const std::string& unit,
                                   std::vector<sdbus::Struct<std::string, sdbus::Variant>> limits, JobDone done)
{
    if (limits.empty())
        return callUnitMethod(method, unit, std::move(done));
    // Runtime properties (under /run): the limits are the registry's, set
    // anew before every start, never persisted in /etc behind our back.
    auto set = systemd_->createMethodCall(kManagerIface, "SetUnitProperties");
    set << unit << true << limits;
    systemd_->callMethod(set, [this, method, unit, done](sdbus::MethodReply&, const sdbus::Error* error) {
        if (error)
            return done(busFailure(fmt::format("SetUnitProperties {}", unit), *error));
        callUnitMethod(method, unit, done);
    });
}

void SystemdUnitRunner::callUnitMethod(const std::string& method, const std::string& unit, JobDone done)
{
    auto call = systemd_->createMethodCall(kManagerIface, method);
    call << unit << std::string("replace");
    systemd_->callMethod(call, [this, method, unit, done](sdbus::MethodReply& reply, const sdbus::Error* error) {
        if (error)
            return done(busFailure(fmt::format("{} {}", method, unit), *error));
        sdbus::ObjectPath job;
        try {
            reply >> job;
        } catch (const sdbus::Error& e) {
            return done(busFailure(fmt::format("{} {}", method, unit), e));
        }
        if (auto early = finishedEarly_.find(job); early != finishedEarly_.end()) {
            const std::string result = early->second;
            finishedEarly_.erase(early);
            return result == "done" ? done({})
                                    : done(core::fail(core::ErrorCode::BackendFailed,
                                                      fmt::format("{} {} ended '{}'", method, unit, result)));
        }
        waiting_[job] = done;
    });
}

core::Result<void> SystemdUnitRunner::unitJob(const std::string& method, const RunTarget& t,
                                              std::stop_token cancel, std::chrono::seconds timeout)
{
    const std::string unit = nspawnUnitName(t.name);
    auto limits = method == "StartUnit" ? nspawnUnitLimits(t) : decltype(nspawnUnitLimits(t)){};
    log::info({.machine = t.name}, "{} {}", method, unit);
    return busloop::LoopCall<void>::run(
        *loop_,
        [this, method, unit, limits](busloop::LoopCall<void>::Answer answer) { runUnitJob(method, unit, limits, answer); },
        std::chrono::duration_cast<std::chrono::milliseconds>(timeout), cancel);
}

core::Result<void> SystemdUnitRunner::start(const RunTarget& t, std::stop_token cancel,
                                            std::chrono::seconds timeout)
{
    auto r = unitJob("StartUnit", t, cancel, timeout);
    if (!r && r.error().code == core::ErrorCode::Cancelled) {
        // Leave nothing half-started behind a cancelled start.
        (void)unitJob("StopUnit", t, {}, timeout);
    }
    return r;
}

core::Result<void> SystemdUnitRunner::stop(const RunTarget& t, std::chrono::seconds timeout)
{
    // The unit's own TimeoutStopSec turns a poweroff that hangs into a kill;
    // allow for it on top of ours.
    return unitJob("StopUnit", t, {}, timeout + std::chrono::seconds(30));
}

core::Result<void> SystemdUnitRunner::kill(const RunTarget& t)
{
    const std::string unit = nspawnUnitName(t.name);
    log::info({.machine = t.name}, "KillUnit {} SIGKILL, then StopUnit", unit);
    return busloop::LoopCall<void>::run(
        *loop_,
        [this, unit](busloop::LoopCall<void>::Answer answer) {
            auto call = systemd_->createMethodCall(kManagerIface, "KillUnit");
            call << unit << std::string("all") << int32_t{SIGKILL};
            systemd_->callMethod(call, [this, unit, answer](sdbus::MethodReply&, const sdbus::Error*) {
                // An error here is a unit with nothing left to kill; the
                // stop job says how the unit ended either way.
                callUnitMethod("StopUnit", unit, answer);
            });
        },
        std::chrono::seconds(60), {});
}

bool SystemdUnitRunner::isRunning(const RunTarget& t)
{
    const std::string unit = nspawnUnitName(t.name);
    auto state = busloop::LoopCall<std::string>::run(
        *loop_,
        [this, unit](busloop::LoopCall<std::string>::Answer answer) {
            // One call on the manager object; a unit never loaded is
            // reported "inactive", not as an error.
            auto call = systemd_->createMethodCall(kManagerIface, "ListUnitsByNames");
            call << std::vector<std::string>{unit};
            systemd_->callMethod(call, [answer](sdbus::MethodReply& reply, const sdbus::Error* error) {
                if (error)
                    return answer(busFailure("ListUnitsByNames", *error));
                std::vector<sdbus::Struct<std::string, std::string, std::string, std::string, std::string, std::string,
                                          sdbus::ObjectPath, uint32_t, std::string, sdbus::ObjectPath>>
                    units;
                try {
                    reply >> units;
                } catch (const sdbus::Error& e) {
                    return answer(busFailure("ListUnitsByNames", e));
                }
                answer(units.empty() ? std::string("inactive") : std::get<3>(units.front()));
            });
        },
        kQueryTimeout);
    return state && (*state == "active" || *state == "reloading");
}

int SystemdUnitRunner::leaderPid(const RunTarget& t)
{
    // The unit's MainPID is systemd-nspawn itself; the container's init is
    // what machined records as the machine's Leader.
    auto pid = busloop::LoopCall<uint32_t>::run(
        *loop_,
        [this, name = t.name](busloop::LoopCall<uint32_t>::Answer answer) {
            auto path = "/org/freedesktop/machine1/machine/" + core::busLabelEscape(name);
            std::shared_ptr<sdbus::IProxy> machine = sdbus::createProxy(*connection_, "org.freedesktop.machine1", path);
            auto get = machine->createMethodCall("org.freedesktop.DBus.Properties", "Get");
            get << std::string("org.freedesktop.machine1.Machine") << std::string("Leader");
            machine->callMethod(get, [this, machine, answer](sdbus::MethodReply& reply, const sdbus::Error* error) mutable {
                // A proxy must not die inside its own callback: let a later
                // loop turn release it.
                loop_->post([keep = std::move(machine)] {});
                if (error)
                    return answer(busFailure("Leader", *error));
                try {
                    sdbus::Variant v;
                    reply >> v;
                    answer(v.get<uint32_t>());
                } catch (const sdbus::Error& e) {
                    answer(busFailure("Leader", e));
                }
            });
        },
        kQueryTimeout);
    return pid ? int(*pid) : 0;
}

}  // namespace zenith::drivers::nspawn
