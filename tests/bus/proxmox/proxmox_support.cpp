#include "proxmox_support.h"

#include <deque>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "daemon_view.h"
#include "sandbox_env.h"
#include "zenithctl_run.h"

namespace zenith::bustest::pve {

using nlohmann::json;

namespace {

std::vector<std::string>& clientTexts()
{
    static std::vector<std::string> texts;
    return texts;
}

// Runs in the child (as zenith-auto): submit, follow, report as JSON.
std::string followInChild(const std::function<client::Result<client::Job>(client::Client&)>& submit)
{
    auto c = connectClient(std::chrono::seconds(60));
    auto job = submit(c);
    if (!job) {
        return json{{"stage", "call"}, {"error_name", job.error().name}, {"error_message", job.error().message}}
            .dump();
    }
    std::vector<std::string> messages;
    auto r = job->wait([&](const client::JobProgress& p) { messages.push_back(p.message); }, std::chrono::minutes(3));
    json out{{"stage", "job"}, {"job", job->id()}};
    if (!r) {
        out["result"] = "wait-error";
        out["error_name"] = r.error().name;
        out["error_message"] = r.error().message;
    } else {
        out["result"] = r->result;
        out["error_name"] = r->errorName;
        out["error_message"] = r->errorMessage;
        messages.push_back(r->message);
    }
    out["messages"] = messages;
    return out.dump();
}

Outcome runFollowed(const std::function<client::Result<client::Job>(client::Client&)>& submit)
{
    const std::string text =
        runAs(automationUser(), [&] { return followInChild(submit); }, std::chrono::seconds(240));
    Outcome o;
    auto doc = json::parse(text, nullptr, false);
    if (!doc.is_object()) {
        o.stage = "child";
        o.errorMessage = text;
        recordClientText(text);
        return o;
    }
    o.stage = doc.value("stage", "");
    o.result = doc.value("result", "");
    o.errorName = doc.value("error_name", "");
    o.errorMessage = doc.value("error_message", "");
    o.job = doc.value("job", 0u);
    if (doc.contains("messages")) {
        o.messages = doc["messages"].get<std::vector<std::string>>();
    }
    recordClientText(o.errorMessage);
    for (const auto& m : o.messages) {
        recordClientText(m);
    }
    return o;
}

}  // namespace

std::string Outcome::describe() const
{
    std::string out = fmt::format("stage={} result={} error={} message={}", stage, result, errorName, errorMessage);
    if (job != 0) {
        out += fmt::format(" (job {})", job);
    }
    if (!messages.empty()) {
        out += "\n  job messages:";
        for (const auto& m : messages) {
            out += "\n    " + m;
        }
    }
    return out;
}

Outcome createAsAuto(const std::string& name, const std::string& backend, const client::Spec& spec, uint64_t flags)
{
    return runFollowed([&](client::Client& c) -> client::Result<client::Job> {
        auto made = c.create(name, backend, spec, flags);
        if (!made) {
            return std::unexpected(made.error());
        }
        return made->job;
    });
}

Outcome cloneAsAuto(const std::string& source, const std::string& newName, const client::Spec& overrides,
                    uint64_t flags)
{
    return runFollowed([&](client::Client& c) -> client::Result<client::Job> {
        auto made = c.clone(source, newName, overrides, flags);
        if (!made) {
            return std::unexpected(made.error());
        }
        return made->job;
    });
}

Outcome destroyAsAuto(const std::string& name, uint64_t flags)
{
    return runFollowed([&](client::Client& c) { return c.destroy(name, flags); });
}

json machinesAsAuto()
{
    const std::string text = runAs(automationUser(), [] {
        auto rows = connectClient().machines();
        if (!rows) {
            return "ListMachines: " + callErrorText(rows.error()) + ": " + rows.error().message;
        }
        json out = json::array();
        for (const auto& r : *rows) {
            out.push_back(
                {{"name", r.name}, {"backend", r.backend}, {"state", r.state}, {"address", r.address}, {"path", r.path}});
        }
        return out.dump();
    });
    auto doc = json::parse(text, nullptr, false);
    if (!doc.is_array()) {
        throw std::runtime_error("ListMachines as zenith-auto: " + text);
    }
    return doc;
}

json machineRowAsAuto(const std::string& name)
{
    for (const auto& row : machinesAsAuto()) {
        if (row.value("name", "") == name) {
            return row;
        }
    }
    return json();
}

ProgramResult zenithctlAuto(const std::vector<std::string>& args)
{
    std::vector<std::string> all{"--json", "--no-ask-password"};
    all.insert(all.end(), args.begin(), args.end());
    auto r = zenithctlAs(automationUser(), all);
    recordClientText(r.out);
    recordClientText(r.err);
    return r;
}

std::vector<client::LeaseInfo> poolLeases(const std::string& pool)
{
    auto rows = connectClient().leases(pool);
    if (!rows) {
        throw std::runtime_error(fmt::format("ListLeases({}): {}: {}", pool, rows.error().name, rows.error().message));
    }
    return *rows;
}

std::optional<std::string> leaseOf(const std::string& machine, const std::string& pool)
{
    for (const auto& l : poolLeases(pool)) {
        if (l.machine == machine) {
            return hostPart(l.address);
        }
    }
    return std::nullopt;
}

std::string nextFreeAddress(const std::string& pool)
{
    auto next = connectClient().nextFreeAddress(pool);
    if (!next) {
        throw std::runtime_error(
            fmt::format("NextFreeAddress({}): {}: {}", pool, next.error().name, next.error().message));
    }
    return hostPart(*next);
}

std::string hostPart(const std::string& address)
{
    return address.substr(0, address.find('/'));
}

bool waitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (condition()) {
            return true;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
}

std::string tokenSecret()
{
    std::ifstream in(sandboxVar("ZENITH_PVE_TOKEN_FILE"));
    std::string secret;
    std::getline(in, secret);
    if (secret.empty()) {
        throw std::runtime_error("the token secret file is empty or unreadable");
    }
    return secret;
}

void recordClientText(std::string text)
{
    if (!text.empty()) {
        clientTexts().push_back(std::move(text));
    }
}

const std::vector<std::string>& recordedClientTexts()
{
    return clientTexts();
}

std::string daemonLogLines(const std::string& needle, size_t max)
{
    std::ifstream in(sandboxVar("ZENITH_DAEMON_LOG"));
    std::deque<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        if (line.find(needle) != std::string::npos) {
            lines.push_back(line);
            if (lines.size() > max) {
                lines.pop_front();
            }
        }
    }
    std::string out;
    for (const auto& l : lines) {
        out += "  " + l + "\n";
    }
    return out.empty() ? "  (no daemon log line mentions " + needle + ")\n" : out;
}

void ProxmoxTest::SetUp()
{
    seqAtStart_ = simLastRequestSeq();
    // The driver reads the cluster once at start: its guests become machines.
    bool listed = waitFor(
        [] {
            auto row = machineRowAsAuto(kTemplate);
            return row.is_object() && row.value("state", "") == "template";
        },
        std::chrono::seconds(20));
    ASSERT_TRUE(listed) << kTemplate << " (CT 9000 on pve1) is not listed as a template after 20 s\n"
                        << "daemon log (proxmox/sim lines):\n"
                        << daemonLogLines("sim") << "simulator requests:\n"
                        << simRequestsText(0, 20);
}

std::string ProxmoxTest::evidence(const std::string& machine) const
{
    return fmt::format("\ndaemon log lines about {}:\n{}simulator API requests during this test:\n{}", machine,
                       daemonLogLines(machine), simRequestsText(seqAtStart_));
}

NodeOffline::NodeOffline(std::string node) : node_(std::move(node))
{
    simFault({{"node_offline", node_}});
}

NodeOffline::~NodeOffline()
{
    try {
        simFault({{"node_online", node_}});
    } catch (const std::exception& e) {
        ADD_FAILURE() << "cannot bring " << node_ << " back online: " << e.what();
    }
}

}  // namespace zenith::bustest::pve
