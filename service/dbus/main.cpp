// zenith-provisionerd: owns org.zenith.Provisioner on the system bus.
// Start-up order matters: signals are blocked before any thread exists (so
// only the loop's signalfd sees SIGTERM), the bus name is taken before the
// engine recovers (a second daemon must not roll back the first one's
// jobs), and nothing on the bus is dispatched until the objects exist.
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <sdbus-c++/sdbus-c++.h>
#include <systemd/sd-daemon.h>

#include "core/config.h"
#include "core/core_dumps.h"
#include "core/engine.h"
#include "core/log.h"
#include "core/registry.h"
#include "bus_loop/event_loop.h"
#include "dbus/polkit_authorizer.h"
#include "dbus/provisioner_service.h"
#include "drivers/nspawn/systemd_unit_runner.h"
#include "drivers/nspawn/nspawn_driver.h"
#include "drivers/nspawn/supervised_runner.h"
#include "drivers/proxmox/proxmox_backends.h"
#include "net/nft_table.h"
#include "net/tunnel_support.h"

#ifndef ZENITH_VERSION
#define ZENITH_VERSION "unknown"
#endif

namespace {

using namespace zenith;

constexpr const char* kBusName = "org.zenith.Provisioner";

struct Options {
    std::string config = "/etc/zenith/provisioner.conf";
    std::string stateDir = "/var/lib/zenith";
    std::string machinesDir = "/var/lib/machines";
    bool debug = false;
};

int failStart(const std::string& message)
{
    std::fprintf(stderr, "zenith-provisionerd: %s\n", message.c_str());
    sd_notifyf(0, "STATUS=Failed to start: %s", message.c_str());
    return 1;
}

// `mode` applies only to a directory we create; the state dir is forced to
// 0700 because it holds the registry and the audit trail.
core::Result<void> ensureDir(const std::string& path, mode_t mode, bool forceMode)
{
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec)
        return core::fail(core::ErrorCode::BackendFailed, fmt::format("cannot create {}: {}", path, ec.message()));
    if (forceMode && ::chmod(path.c_str(), mode) < 0)
        return core::fail(core::ErrorCode::BackendFailed, fmt::format("cannot set the mode of {}", path));
    return {};
}

constexpr const char* kSystemdMachinesDir = "/var/lib/machines";
constexpr const char* kSystemdTrustedSettingsDir = "/etc/systemd/nspawn";

// systemd runs the machines when it is PID 1 and present on the bus this
// daemon serves. A private bus (tests, a sandbox) has no systemd on it even
// on a systemd host: there the daemon supervises systemd-nspawn itself.
bool systemdManagesUnits(sdbus::IConnection& connection)
{
    if (sd_booted() <= 0)
        return false;
    try {
        auto bus = sdbus::createProxy(connection, "org.freedesktop.DBus", "/org/freedesktop/DBus");
        bool owned = false;
        bus->callMethod("NameHasOwner").onInterface("org.freedesktop.DBus").withArguments(
            std::string("org.freedesktop.systemd1")).storeResultsTo(owned);
        return owned;
    } catch (const sdbus::Error& e) {
        log::warning({}, "cannot ask the bus whether systemd is on it ({}); supervising machines", e.getMessage());
        return false;
    }
}

// How machines run: as systemd-nspawn@NAME.service units, or supervised by
// this daemon. Units need the machines where that unit looks for them, and
// their settings where it trusts them.
core::Result<std::shared_ptr<drivers::nspawn::MachineRunner>> makeRunner(bool systemdUnits, const Options& opt,
                                                                         drivers::nspawn::NspawnOptions& nspawn)
{
    if (!systemdUnits)
        return drivers::nspawn::makeSupervisedRunner(opt.stateDir);
    if (std::filesystem::weakly_canonical(opt.machinesDir) != kSystemdMachinesDir)
        return core::fail(core::ErrorCode::InvalidArgs,
                          fmt::format("--machines-dir {}: on a systemd host machines run as "
                                      "systemd-nspawn@NAME.service, which looks for them in {} only",
                                      opt.machinesDir, kSystemdMachinesDir));
    nspawn.settingsDir = kSystemdTrustedSettingsDir;
    if (auto r = ensureDir(nspawn.settingsDir, 0755, false); !r)
        return std::unexpected(r.error());
    std::unique_ptr<sdbus::IConnection> own;
    try {
        own = sdbus::createSystemBusConnection();
    } catch (const sdbus::Error& e) {
        return core::fail(core::ErrorCode::BackendUnavailable,
                          fmt::format("cannot open a connection for systemd: {}", e.getMessage()));
    }
    auto units = drivers::nspawn::SystemdUnitRunner::create(std::move(own));
    if (!units)
        return std::unexpected(units.error());
    return std::shared_ptr<drivers::nspawn::MachineRunner>(std::move(*units));
}

int serve(const Options& opt)
{
    auto config = core::loadConfig(opt.config);
    if (!config)
        return failStart(config.error().message);
    if (auto r = ensureDir(opt.stateDir, 0700, true); !r)
        return failStart(r.error().message);
    // 0700 like systemd's /var/lib/machines: nothing below it - a tenant's
    // set-uid file included - is reachable by host users.
    if (auto r = ensureDir(opt.machinesDir, 0700, true); !r)
        return failStart(r.error().message);
    auto registry = core::Registry::open(opt.stateDir + "/zenith.db");
    if (!registry)
        return failStart(registry.error().message);
    if (auto r = (*registry)->setRetention(config->retention); !r)
        return failStart(r.error().message);

    std::unique_ptr<sdbus::IConnection> connection;
    try {
        // sd-bus honours DBUS_SYSTEM_BUS_ADDRESS, as every system service does.
        connection = sdbus::createSystemBusConnection();
        connection->requestName(kBusName);
    } catch (const sdbus::Error& e) {
        // sd-bus reports "name owned by someone else" as EEXIST.
        if (connection && e.getName() == "org.freedesktop.DBus.Error.FileExists")
            return failStart(fmt::format("the bus name {} is already taken (is another zenith-provisionerd running?)",
                                         kBusName));
        return failStart(fmt::format("cannot own {} on the system bus: {} ({})", kBusName, e.getMessage(), e.getName()));
    }

    auto loop = busloop::EventLoop::create();
    if (!loop)
        return failStart(loop.error().message);
    if (auto r = (*loop)->attach(*connection); !r)
        return failStart(r.error().message);
    busloop::EventLoop& ev = **loop;

    drivers::nspawn::NspawnOptions nspawn;
    nspawn.stateDir = opt.stateDir;
    nspawn.machinesDir = opt.machinesDir;
    const bool systemdUnits = systemdManagesUnits(*connection);
    auto runner = makeRunner(systemdUnits, opt, nspawn);
    if (!runner)
        return failStart(runner.error().message);
    nspawn.debianMirror = config->debianMirror;
    nspawn.ubuntuMirror = config->ubuntuMirror;
    nspawn.ubuntuPortsMirror = config->ubuntuPortsMirror;
    nspawn.bridge = config->bridge;
    nspawn.bridges = config->bridges;
    nspawn.pool = config->nspawnPool;
    nspawn.hostPorts = config->hostPorts;
    nspawn.hostPortsSet = config->hostPortsSet;
    nspawn.sitTunnels = net::kernelMakesSitLinks();
    nspawn.privateUsersOwnership = config->privateUsersOwnership;
    std::vector<std::unique_ptr<drivers::Driver>> drivers;
    drivers.push_back(drivers::nspawn::makeNspawnDriver(nspawn, *runner));
    auto proxmox = drivers::proxmox::makeProxmoxDrivers(*config);
    if (!proxmox)
        return failStart(proxmox.error().message);
    for (auto& d : *proxmox)
        drivers.push_back(std::move(d));

    auto engine = std::make_unique<core::Engine>(*config, **registry, std::move(drivers));
    auto authorizer = std::make_unique<dbus::PolkitAuthorizer>(*connection);
    auto service = std::make_unique<dbus::ProvisionerService>(*connection, ev, *engine, *authorizer);
    engine->setObserver(service.get());
    engine->setNatApplier(net::applyNatRules);
    if (auto r = engine->recover(); !r)
        return failStart("cannot recover the previous state: " + r.error().message);
    service->publishAll();

    if (auto r = ev.onSignals({SIGTERM, SIGINT}, [&ev](int sig) {
            log::info({}, "signal {}: stopping", sig);
            ev.exit(0);
        });
        !r)
        return failStart(r.error().message);

    const auto machines = engine->machines().size();
    log::info({}, "zenith-provisionerd {} serving {} ({} machines, runner: {})", ZENITH_VERSION, kBusName, machines,
              systemdUnits ? "systemd units" : "supervised");
    if (int r = sd_notifyf(0, "READY=1\nSTATUS=Serving %s (%zu machines)", kBusName, machines); r < 0)
        log::warning({}, "cannot notify the service manager: {}", std::strerror(-r));

    const int rc = ev.run();

    sd_notify(0, "STOPPING=1\nSTATUS=Stopping");
    try {
        connection->releaseName(kBusName);
    } catch (const sdbus::Error& e) {
        log::warning({}, "cannot release {}: {}", kBusName, e.getMessage());
    }
    service->prepareShutdown();
    // The engine cancels its jobs and waits for their rollbacks, bounded:
    // their last events find the loop closed and are dropped.
    if (auto stuck = engine->shutdown(std::chrono::seconds(config->stopTimeoutSec)); !stuck.empty()) {
        // A stuck thread still uses the engine, so nothing may be destroyed
        // under it: leave now. The jobs are recorded as failed; the next
        // start rolls back what they left (machines still `creating`).
        log::error({}, "{} job(s) did not stop within StopTimeout={}s; leaving without them", stuck.size(),
                   config->stopTimeoutSec);
        sd_notify(0, "STATUS=Stopped with stuck jobs");
        std::fflush(nullptr);
        ::_exit(1);
    }
    // Then the objects, then the bus.
    engine.reset();
    service.reset();
    authorizer.reset();
    runner->reset();
    log::info({}, "stopped");
    return rc == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv)
{
    // Before any thread exists, so that every thread inherits the mask and
    // only the loop's signalfd receives these.
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    pthread_sigmask(SIG_BLOCK, &mask, nullptr);

    // First, before any secret can be in memory.
    if (auto r = core::disableCoreDumps(); !r)
        return failStart(r.error().message);

    Options opt;
    CLI::App app{"zenith-provisionerd: provisions containers and virtual machines over D-Bus (org.zenith.Provisioner)"};
    app.add_option("--config", opt.config, "configuration file")->capture_default_str();
    app.add_option("--state-dir", opt.stateDir, "state directory (registry, images)")->capture_default_str();
    app.add_option("--machines-dir", opt.machinesDir, "where nspawn machines live")->capture_default_str();
    app.add_flag("--debug", opt.debug, "log debug messages");
    app.set_version_flag("--version", std::string("zenith-provisionerd ") + ZENITH_VERSION);
    CLI11_PARSE(app, argc, argv);

    log::setDebug(opt.debug);
    return serve(opt);
}
