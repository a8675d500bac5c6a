#include "app.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cloudpod_command.h"
#include "cluster_commands.h"
#include "exit_codes.h"
#include "json_events.h"
#include "output.h"
#include "pool_commands.h"
#include "secret_input.h"
#include "sizes.h"
#include "spec_options.h"
#include "tables.h"
#include "zenith/client/client.h"

namespace zenithctl {

using namespace zenith::client;

namespace {

struct Globals {
    bool json = false;
    bool noWait = false;
    bool quiet = false;
    bool noAskPassword = false;
    std::string host, address;
    double timeout = 0;  // seconds; 0: wait as long as the job runs
};

struct Secrets {
    bool passwordStdin = false;
    std::string passwordFile;
    std::string passwordHashFile;
    std::string wireguardFile;
};

struct MachineArgs {
    std::string name, second;  // clone: source, new name
    std::string backend = "nspawn";
    SpecOptions spec;
    Secrets secrets;
    bool force = false, noStart = false, dryRun = false, backupFirst = false;
    BackupOptions backup;  // `backup`
};

size_t terminalWidth()
{
    winsize ws{};
    if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    if (const char* columns = std::getenv("COLUMNS"))
        if (int n = std::atoi(columns); n > 0)
            return static_cast<size_t>(n);
    return 80;
}

void addSecretOptions(CLI::App& cmd, Secrets& s)
{
    auto* stdinOpt = cmd.add_flag("--password-stdin", s.passwordStdin,
                                  "Read the root password from stdin (never give it as an argument)");
    auto* fileOpt = cmd.add_option("--password-file", s.passwordFile, "Read the root password from the first line of FILE")
                        ->excludes(stdinOpt);
    // A crypt hash can be cracked offline: it stays out of argv too.
    cmd.add_option("--password-hash-file", s.passwordHashFile,
                   "Read the root password as a crypt(3) hash from the first line of FILE")
        ->excludes(stdinOpt)
        ->excludes(fileOpt);
    cmd.add_option("--wireguard-config-file", s.wireguardFile, "WireGuard config (holds a private key) from FILE");
}

Result<Spec> specFrom(const MachineArgs& a)
{
    auto spec = buildSpec(a.spec);
    if (!spec)
        return spec;
    if (a.secrets.passwordStdin || !a.secrets.passwordFile.empty()) {
        auto pw = a.secrets.passwordStdin ? readSecretFromStdin("password")
                                          : readSecretFile(a.secrets.passwordFile, "password", false);
        if (!pw)
            return std::unexpected(pw.error());
        spec->setPassword(std::move(*pw));
    }
    if (!a.secrets.passwordHashFile.empty()) {
        auto hash = readSecretFile(a.secrets.passwordHashFile, "password_hash", false);
        if (!hash)
            return std::unexpected(hash.error());
        spec->setPasswordHash(std::move(*hash));
    }
    if (!a.secrets.wireguardFile.empty()) {
        auto wg = readSecretFile(a.secrets.wireguardFile, "wireguard_config", true);
        if (!wg)
            return std::unexpected(wg.error());
        spec->setWireguardConfig(std::move(*wg));
    }
    return spec;
}

uint64_t flagsOf(const MachineArgs& a)
{
    return (a.force ? kFlagForce : 0) | (a.noStart ? kFlagNoStart : 0) | (a.dryRun ? kFlagDryRun : 0) |
           (a.backupFirst ? kFlagBackupFirst : 0);
}

class Runner {
public:
    Runner(const Globals& g, Output& output) : g_(g), out_(output) {}

    ExitCode connect()
    {
        ConnectOptions options;
        options.host = g_.host;
        options.address = g_.address;
        // Like systemctl: a person at a terminal may be asked for a
        // password; a panel over SSH gets InteractiveAuthorizationRequired.
        options.allowInteractiveAuthorization = !g_.noAskPassword && ::isatty(STDIN_FILENO);
        if (g_.timeout > 0)
            options.callTimeout = std::chrono::milliseconds(static_cast<int64_t>(g_.timeout * 1000));
        auto client = Client::connect(options);
        if (!client)
            return out_.error(client.error());
        client_.emplace(std::move(*client));
        return ExitCode::Ok;
    }
    Client& client() { return *client_; }

    ExitCode follow(const Job& job, const std::string& operation, const std::string& machine,
                    const std::string& machinePath)
    {
        out_.submitted(job.id(), job.path(), operation, machine, machinePath);
        if (g_.noWait)
            return ExitCode::Ok;
        auto result = job.wait([&](const JobProgress& p) { out_.progress(job.id(), p); },
                               std::chrono::milliseconds(static_cast<int64_t>(g_.timeout * 1000)));
        if (!result)
            return out_.error(result.error());
        if (result->operation.empty())
            result->operation = operation;
        if (result->machine.empty())
            result->machine = machine;
        return out_.result(*result);
    }

    template <typename T>
    ExitCode submitted(const Result<T>& r, const std::string& operation, const std::string& machine)
    {
        if (!r)
            return out_.error(r.error());
        if constexpr (std::is_same_v<T, Submitted>)
            return follow(r->job, operation, machine, r->machinePath);
        else
            return follow(*r, operation, machine, {});
    }

private:
    const Globals& g_;
    Output& out_;
    std::optional<Client> client_;
};

bool wantsJson(int argc, char** argv)
{
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--")
            return false;
        if (arg == "--json")
            return true;
    }
    return false;
}

std::string joined(const std::vector<std::string>& items, const std::string& separator = ", ")
{
    std::string out;
    for (const auto& s : items)
        out += (out.empty() ? "" : separator) + s;
    return out;
}

// "tcp:8022->22, udp:5353->53"
std::string forwardsText(const std::vector<PortForward>& forwards)
{
    std::vector<std::string> items;
    for (const auto& f : forwards)
        items.push_back(fmt::format("{}:{}->{}", f.proto, f.hostPort, f.machinePort));
    return joined(items);
}

// run(), or planClone() when `plan` is given.
int runCommandLine(int argc, char** argv, CloneCall* plan)
{
    CLI::App app{"zenithctl: create, start, stop, clone and destroy machines through zenith-provisionerd "
                 "(org.zenith.Provisioner on the system bus)."};
    app.name("zenithctl");
    app.footer(std::string(exitCodeHelp()));
    app.require_subcommand(1);
    app.fallthrough();  // global options may follow the command

    Globals g;
    bool version = false;
    app.add_flag("--version", version, "Print the version and exit");
    app.add_flag("--json", g.json, "Print JSON: one object per line (events, then the result)");
    app.add_flag("--no-wait", g.noWait, "Print the job id and path and return at once");
    app.add_flag("-q,--quiet", g.quiet, "No progress and no success messages");
    app.add_flag("--no-ask-password", g.noAskPassword,
                 "Never let polkit ask for a password (default on a terminal: allowed)");
    auto* host = app.add_option("-H,--host", g.host, "Reach USER@HOST's system bus over SSH (systemd-stdio-bridge)");
    app.add_option("--address", g.address, "Use this D-Bus address instead of the system bus")->excludes(host);
    app.add_option("--timeout", g.timeout, "Give up waiting after SECONDS (the job keeps running)")
        ->check(CLI::NonNegativeNumber);

    MachineArgs a;
    uint32_t jobId = 0;
    std::string imagesBackend = "nspawn";

    auto* create = app.add_subcommand("create", "Create a machine (and start it unless --no-start)");
    create->add_option("NAME", a.name, "Machine name: ^[a-z][a-z0-9-]{0,62}$")->required();
    create->add_option("--backend", a.backend, "Backend: nspawn, proxmox-lxc, proxmox-qemu")->capture_default_str();
    addSpecOptions(*create, a.spec);
    addSecretOptions(*create, a.secrets);
    create->add_flag("--no-start", a.noStart, "Do not start the machine after creating it");
    create->add_flag("--dry-run", a.dryRun, "Validate and authorize only; print the plan");

    // What clone and cloudpod (a clone of the CloudPods template) share
    // after their spec options.
    auto cloneOptions = [&](CLI::App& cmd) {
        addSecretOptions(cmd, a.secrets);
        cmd.add_flag("--no-start", a.noStart, "Do not start the clone");
        cmd.add_flag("--dry-run", a.dryRun, "Validate and authorize only; print the plan");
    };
    auto* clone = app.add_subcommand("clone", "Clone a machine, with optional spec overrides");
    clone->add_option("SOURCE", a.name, "Machine to clone")->required();
    clone->add_option("NEW", a.second, "Name of the new machine")->required();
    addSpecOptions(*clone, a.spec);
    cloneOptions(*clone);
    CloudPodCommand cloudpod;
    addCloudPodCommand(app, a.spec, cloudpod);
    cloneOptions(*cloudpod.command);

    // A command on one machine: NAME, then --force if it has one (its help
    // text), then --dry-run; this order is the order --help lists them in.
    auto machineCommand = [&](const char* name, const char* description, const char* forceHelp = nullptr) {
        auto* cmd = app.add_subcommand(name, description);
        cmd->add_option("NAME", a.name, "Machine name")->required();
        if (forceHelp)
            cmd->add_flag("--force", a.force, forceHelp);
        cmd->add_flag("--dry-run", a.dryRun, "Validate and authorize only");
        return cmd;
    };
    auto* destroy = machineCommand("destroy", "Destroy a machine and everything it has on disk",
                                   "Stop it first if it is running");
    destroy->add_flag("--backup-first", a.backupFirst,
                      "Back it up first (Proxmox: vzdump to the backup storage); if that fails nothing is destroyed");
    auto* start = machineCommand("start", "Start a machine");
    auto* stop = machineCommand("stop", "Stop a machine (clean poweroff)", "Kill it if it does not power off");
    auto* makeTemplate = machineCommand("template", "Turn a stopped machine into a template for clones");
    auto* backup = machineCommand("backup", "Back a machine up to a backup storage (Proxmox vzdump)");
    backup->add_option("--storage", a.backup.storage,
                       "Backup storage (default: the cluster's BackupStorage=, else the largest one)");
    backup->add_option("--mode", a.backup.mode, "snapshot (default: the machine keeps running), suspend or stop")
        ->check(CLI::IsMember({"snapshot", "suspend", "stop"}));

    std::string forwardText;
    auto* forward = machineCommand("forward", "Forward a host port to a port of a machine (its IPv4 address)");
    forward->add_option("FORWARD", forwardText, "PROTO:HOST_PORT:MACHINE_PORT, e.g. tcp:8022:22")->required();
    auto* unforward = machineCommand("unforward", "Stop forwarding a host port to a machine");
    unforward->add_option("FORWARD", forwardText, "PROTO:HOST_PORT, e.g. tcp:8022")->required();
    auto* forwards = app.add_subcommand("forwards", "List the port forwards the host holds");

    auto* list = app.add_subcommand("list", "List machines");
    auto* show = app.add_subcommand("show", "Show every property of a machine");
    show->add_option("NAME", a.name, "Machine name")->required();
    auto* jobs = app.add_subcommand("jobs", "List running and recently finished jobs");
    auto* cancel = app.add_subcommand("cancel", "Cancel a job");
    cancel->add_option("ID", jobId, "Job id (see `zenithctl jobs`)")->required();
    auto* images = app.add_subcommand("images", "List base images, templates and ISOs of a backend");
    images->add_option("--backend", imagesBackend, "Backend")->capture_default_str();
    const PoolCommands poolCommands = addPoolCommands(app);
    ClusterCommands clusterCommands;
    addClusterCommands(app, clusterCommands);

    for (auto* cmd : app.get_subcommands({}))
        cmd->footer(cmd->get_footer() + (cmd->get_footer().empty() ? "" : "\n") + std::string(exitCodeHelp()));

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        if (version) {
            std::cout << "zenithctl " << ZENITH_VERSION << '\n';
            return 0;
        }
        app.exit(e);
        // A panel that asked for JSON reads stdout only: the usage error
        // reaches it as an error event too (--json may stand after the
        // mistake, where the parser never got to it).
        if (g.json || wantsJson(argc, argv))
            std::cout << errorEvent(makeError(ErrorKind::InvalidArgs, e.what())).dump() << '\n';
        return toInt(ExitCode::BadInput);
    }

    const bool tty = ::isatty(STDOUT_FILENO);
    Output out(g.json ? OutputMode::Json : tty ? OutputMode::Terminal : OutputMode::Plain, g.quiet, std::cout,
               std::cerr, terminalWidth());
    Runner runner(g, out);

    // Bad spec input fails before any bus traffic: nothing is sent.
    const uint64_t flags = flagsOf(a);
    std::optional<Spec> spec;
    std::optional<CloneCall> cloneCall;
    if (create->parsed() || clone->parsed() || cloudpod.command->parsed()) {
        auto built = specFrom(a);
        if (!built)
            return toInt(out.error(built.error()));
        spec = std::move(*built);
    }
    if (clone->parsed())
        cloneCall = CloneCall{a.name, a.second, std::move(*spec), flags};
    if (cloudpod.command->parsed()) {
        auto overrides = cloudPodOverrides(cloudpod, std::move(*spec));
        if (!overrides)
            return toInt(out.error(overrides.error()));
        cloneCall = CloneCall{cloudpod.templateName, cloudpod.name, std::move(*overrides), flags};
    }
    if (plan) {
        if (!cloneCall)
            return toInt(ExitCode::BadInput);
        *plan = std::move(*cloneCall);
        return toInt(ExitCode::Ok);
    }

    if (auto connected = runner.connect(); connected != ExitCode::Ok)
        return toInt(connected);
    Client& client = runner.client();

    if (create->parsed())
        return toInt(runner.submitted(client.create(a.name, a.backend, *spec, flags), "create", a.name));
    // cloudpod too: the same call, progress and --json as clone.
    if (cloneCall)
        return toInt(runner.submitted(
            client.clone(cloneCall->source, cloneCall->name, cloneCall->overrides, cloneCall->flags), "clone",
            cloneCall->name));
    if (destroy->parsed())
        return toInt(runner.submitted(client.destroy(a.name, flags), "destroy", a.name));
    if (start->parsed())
        return toInt(runner.submitted(client.start(a.name, flags), "start", a.name));
    if (stop->parsed())
        return toInt(runner.submitted(client.stop(a.name, flags), "stop", a.name));
    if (makeTemplate->parsed())
        return toInt(runner.submitted(client.makeTemplate(a.name, flags), "template", a.name));
    if (backup->parsed())
        return toInt(runner.submitted(client.backup(a.name, a.backup, flags), "backup", a.name));
    if (forward->parsed() || unforward->parsed()) {
        auto f = parseForward(forwardText, forward->parsed());
        if (!f)
            return toInt(out.error(f.error()));
        if (forward->parsed())
            return toInt(runner.submitted(client.addPortForward(a.name, *f, flags), "add-forward", a.name));
        return toInt(runner.submitted(client.removePortForward(a.name, f->proto, f->hostPort, flags),
                                      "remove-forward", a.name));
    }
    if (forwards->parsed()) {
        auto rows = client.portForwards();
        if (!rows)
            return toInt(out.error(rows.error()));
        if (g.json) {
            auto doc = nlohmann::json::array();
            for (const auto& f : *rows)
                doc.push_back({{"machine", f.machine},
                               {"proto", f.proto},
                               {"host_port", f.hostPort},
                               {"machine_port", f.machinePort},
                               {"address", f.address}});
            std::cout << doc.dump() << '\n';
        } else {
            std::vector<std::vector<std::string>> cells;
            for (const auto& f : *rows)
                cells.push_back({f.proto, std::to_string(f.hostPort), f.machine,
                                 fmt::format("{}:{}", f.address, f.machinePort)});
            std::cout << formatTable({"PROTO", "HOST PORT", "MACHINE", "TO"}, cells);
        }
        return 0;
    }

    if (cancel->parsed()) {
        auto done = client.cancel(jobId);
        if (!done)
            return toInt(out.error(done.error()));
        if (g.json)
            std::cout << nlohmann::json{{"event", "cancel-requested"}, {"job", jobId}}.dump() << '\n';
        else if (!g.quiet)
            std::cout << "cancel requested for job " << jobId << '\n';
        return 0;
    }
    if (list->parsed()) {
        auto rows = client.machines();
        if (!rows)
            return toInt(out.error(rows.error()));
        if (g.json) {
            std::cout << toJson(*rows).dump() << '\n';
        } else {
            std::vector<std::vector<std::string>> cells;
            for (const auto& r : *rows)
                cells.push_back({r.name, r.backend, r.state, r.address});
            std::cout << formatTable({"NAME", "BACKEND", "STATE", "ADDRESS"}, cells);
        }
        return 0;
    }
    if (show->parsed()) {
        auto m = client.machine(a.name);
        if (!m)
            return toInt(out.error(m.error()));
        if (g.json) {
            std::cout << toJson(*m).dump() << '\n';
            return 0;
        }
        const std::vector<std::pair<std::string, std::string>> fields{
            {"Name", m->name},
            {"Number", std::to_string(m->number)},
            {"Backend", m->backend},
            {"Kind", m->kind},
            {"State", m->state},
            {"Distro", m->distro},
            {"Release", m->release},
            {"Arch", m->arch},
            {"Addresses", joined(m->addresses)},
            {"Bridge", m->bridge},
            {"HostLink", m->hostLink},
            {"PortForwards", forwardsText(m->portForwards)},
            {"CPUQuota", m->cpuQuota ? fmt::format("{}%", m->cpuQuota) : ""},
            {"MemoryMax", m->memoryMax ? fmt::format("{} ({})", formatSize(m->memoryMax), m->memoryMax) : ""},
            {"Node", m->node},
            {"VMID", m->vmid ? std::to_string(m->vmid) : ""},
            {"CreatedByUID", std::to_string(m->createdByUid)},
            {"UIDShift", m->uidShift ? std::to_string(m->uidShift) : ""},
            // One key a line, under each other.
            {"SSHHostKeys", joined(m->sshHostKeys, "\n" + std::string(15, ' '))},
            {"Path", m->path}};
        for (const auto& [key, value] : fields)
            std::cout << fmt::format("{:>13}: {}\n", key, value.empty() ? "-" : value);
        return 0;
    }
    if (jobs->parsed()) {
        auto rows = client.jobs();
        if (!rows)
            return toInt(out.error(rows.error()));
        if (g.json) {
            std::cout << toJson(*rows).dump() << '\n';
        } else {
            std::vector<std::vector<std::string>> cells;
            for (const auto& r : *rows)
                cells.push_back({std::to_string(r.id), r.operation, r.machine, r.state,
                                 fmt::format("{}%", static_cast<int>(r.progress * 100 + 1e-9))});
            std::cout << formatTable({"ID", "OPERATION", "MACHINE", "STATE", "PROGRESS"}, cells);
        }
        return 0;
    }
    if (images->parsed()) {
        auto rows = client.images(imagesBackend);
        if (!rows)
            return toInt(out.error(rows.error()));
        if (g.json) {
            std::cout << toJson(*rows).dump() << '\n';
        } else {
            std::vector<std::vector<std::string>> cells;
            for (const auto& r : *rows)
                cells.push_back({r.id, r.kind, formatSize(r.size), r.location});
            std::cout << formatTable({"ID", "KIND", "SIZE", "LOCATION"}, cells);
        }
        return 0;
    }
    if (auto done = runPoolCommands(poolCommands, client, g.json, out))
        return toInt(*done);
    if (auto done = runClusterCommands(clusterCommands, client, g.json, out))
        return toInt(*done);
    return toInt(ExitCode::BadInput);
}

}  // namespace

int run(int argc, char** argv)
{
    return runCommandLine(argc, argv, nullptr);
}

int planClone(int argc, char** argv, CloneCall& call)
{
    return runCommandLine(argc, argv, &call);
}

}  // namespace zenithctl
