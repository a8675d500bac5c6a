// The README's polkit rule for a tenant's vmid range ("A polkit rule for a
// tenant's vmid range"), taken verbatim from README.md, with its group
// `mpanel` made the outsider's group and its range 9100-9199 made 9500-9599,
// installed as /etc/polkit-1/rules.d/45-zenith-cloudpods.rules in the
// sandbox's polkitd for this suite. The outsider (zenith-outsider, whom no
// shipped rule grants anything) then gets exactly what the rule promises: its
// own vmid range, named on every clone, and nothing else. That works only
// because the daemon passes the `vmid` detail (the caller's for a clone, the
// machine's for power and destroy) and the documented rule is valid ES5 for
// polkit's duktape.
//
// tests/harness/40-zenith-test.rules also speaks of the outsider, for
// machines named outsider-*, detail-* and the template detail-golden: the
// names here are vr-*, and cloudpod-template, so it does not decide any of
// these requests (it answers NOT_HANDLED and the rule under test decides).
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "daemon_view.h"
#include "proxmox_support.h"
#include "sandbox_env.h"
#include "zenithctl_run.h"

namespace zenith::bustest::pve {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kBeginMarker = "<!-- vmid-range-rule:begin -->";
constexpr const char* kEndMarker = "<!-- vmid-range-rule:end -->";
constexpr const char* kRuleFile = "45-zenith-cloudpods.rules";

size_t countOf(const std::string& text, const std::string& needle)
{
    size_t n = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) {
        ++n;
    }
    return n;
}

std::string replaceAll(std::string text, const std::string& from, const std::string& to)
{
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
        text.replace(at, from.size(), to);
    }
    return text;
}

// The JS between the README's markers, without its ``` fence lines. Throws
// with what is wrong when the README does not have exactly that shape.
std::string ruleFromReadme()
{
    const std::string path = sandboxVar("ZENITH_SOURCE_DIR") + "/README.md";
    std::ifstream in(path);
    if (!in) {
        throw std::runtime_error("cannot read " + path);
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string readme = buffer.str();
    if (countOf(readme, kBeginMarker) != 1 || countOf(readme, kEndMarker) != 1) {
        throw std::runtime_error(fmt::format("{} must hold {} and {} exactly once each (found {} and {})", path,
                                             kBeginMarker, kEndMarker, countOf(readme, kBeginMarker),
                                             countOf(readme, kEndMarker)));
    }
    const size_t begin = readme.find(kBeginMarker) + std::string(kBeginMarker).size();
    const size_t end = readme.find(kEndMarker);
    if (end < begin) {
        throw std::runtime_error(fmt::format("{}: {} comes before {}", path, kEndMarker, kBeginMarker));
    }
    std::vector<std::string> lines;
    std::istringstream block(readme.substr(begin, end - begin));
    for (std::string line; std::getline(block, line);) {
        lines.push_back(line);
    }
    auto blank = [](const std::string& l) { return l.find_first_not_of(" \t\r") == std::string::npos; };
    while (!lines.empty() && blank(lines.front())) {
        lines.erase(lines.begin());
    }
    while (!lines.empty() && blank(lines.back())) {
        lines.pop_back();
    }
    if (lines.size() < 3 || !lines.front().starts_with("```") || lines.back() != "```") {
        throw std::runtime_error(fmt::format(
            "{}: between the vmid-range-rule markers there must be one fenced code block (```js ... ```)", path));
    }
    std::string rule;
    for (size_t i = 1; i + 1 < lines.size(); ++i) {
        if (lines[i].starts_with("```")) {
            throw std::runtime_error(path + ": more than one code block between the vmid-range-rule markers");
        }
        rule += lines[i] + "\n";
    }
    if (countOf(rule, "polkit.addRule(") != 1) {
        throw std::runtime_error(path + ": the block between the vmid-range-rule markers is not one polkit rule");
    }
    return rule;
}

// The README's rule for the outsider's group and 9500-9599. The group and
// range are declared once each at the rule's top; those declarations must
// be there exactly once, and afterwards nothing of mpanel or 9100/9199 may
// be left (a README edit that moves them elsewhere fails here, loudly,
// instead of installing a rule that grants the outsider nothing).
std::string outsiderRule(const std::string& readmeRule)
{
    const std::string groupDecl = "var group = \"mpanel\";";
    const std::string rangeDecl = "var firstVmid = 9100, lastVmid = 9199;";
    for (const auto& decl : {groupDecl, rangeDecl}) {
        if (countOf(readmeRule, decl) != 1) {
            throw std::runtime_error(fmt::format("the README's vmid range rule must declare `{}` exactly once "
                                                 "(found {}); the test substitutes it:\n{}",
                                                 decl, countOf(readmeRule, decl), readmeRule));
        }
    }
    std::string rule = readmeRule;
    rule = replaceAll(rule, "mpanel", "zenith-outsider");
    rule = replaceAll(rule, "9100", "9500");
    rule = replaceAll(rule, "9199", "9599");
    for (const auto& decl :
         {std::string("var group = \"zenith-outsider\";"), std::string("var firstVmid = 9500, lastVmid = 9599;")}) {
        if (countOf(rule, decl) != 1) {
            throw std::runtime_error("after substitution the rule does not declare `" + decl + "` once:\n" + rule);
        }
    }
    for (const char* old : {"mpanel", "9100", "9199"}) {
        if (countOf(rule, old) != 0) {
            throw std::runtime_error(fmt::format("`{}` is left in the rule after substitution:\n{}", old, rule));
        }
    }
    return rule;
}

std::string rulePath()
{
    // sandbox.sh bind-mounts this dir over /etc/polkit-1/rules.d.
    return sandboxVar("ZENITH_SANDBOX") + "/polkit/etc-rules.d/" + kRuleFile;
}

std::string polkitdLogTail(size_t max = 30)
{
    std::ifstream in(sandboxVar("ZENITH_SANDBOX") + "/logs/polkitd.log");
    std::deque<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
        if (lines.size() > max) {
            lines.pop_front();
        }
    }
    std::string out;
    for (const auto& l : lines) {
        out += "  " + l + "\n";
    }
    return out.empty() ? "  (polkitd.log is empty)\n" : out;
}

// "$ZENITH_HARNESS_DIR/polkitd.sh stop|start"; empty on success.
std::string polkitd(const char* verb)
{
    auto r = runProgram({sandboxVar("ZENITH_HARNESS_DIR") + "/polkitd.sh", verb}, rootUser(), 60s);
    return r.exitCode == 0 ? std::string() : fmt::format("polkitd.sh {}: exit {}: {}{}", verb, r.exitCode, r.out, r.err);
}

std::string restartPolkitd()
{
    if (auto e = polkitd("stop"); !e.empty()) {
        return e;
    }
    return polkitd("start");
}

// What the outsider's libclient calls came to: the call's error name, or
// "done" / "failed <name>: <message>" for the job.
std::string outsiderRuns(const std::function<client::Result<client::Job>(client::Client&)>& submit)
{
    std::string text = runAs(
        outsiderUser(),
        [&] {
            auto c = connectClient(std::chrono::seconds(60));
            auto job = submit(c);
            if (!job) {
                return callErrorText(job.error());
            }
            return outcomeText(job->wait({}, std::chrono::minutes(3)));
        },
        std::chrono::seconds(240));
    recordClientText(text);
    return text;
}

std::string cloneAsOutsider(const std::string& source, const std::string& name, const client::Spec& spec,
                            uint64_t flags = 0)
{
    return outsiderRuns([&](client::Client& c) -> client::Result<client::Job> {
        auto made = c.clone(source, name, spec, flags);
        if (!made) {
            return std::unexpected(made.error());
        }
        return made->job;
    });
}

// ListMachines as the outsider answered (reads pass polkit too: with no
// polkitd on the bus they are AccessDenied).
bool outsiderCanRead()
{
    return runAs(outsiderUser(), [] {
               auto rows = connectClient(std::chrono::seconds(10)).machines();
               return rows ? std::string("ok") : callErrorText(rows.error());
           }) == "ok";
}

// A DRY_RUN clone of the template into the outsider's range: "done" only
// while the rule is in force (the probe that polkit runs the rule).
std::string probeClone()
{
    client::Spec spec;
    spec.setVmid(9590).setIpv4("auto").setCores(1).setMemoryMax(512ull << 20);
    return cloneAsOutsider(kTemplate, "vr-probe", spec, client::kFlagDryRun);
}

ProgramResult zenithctlOutsider(const std::vector<std::string>& args)
{
    std::vector<std::string> all{"--json", "--no-ask-password"};
    all.insert(all.end(), args.begin(), args.end());
    auto r = zenithctlAs(outsiderUser(), all);
    recordClientText(r.out);
    recordClientText(r.err);
    return r;
}

// POSTs to a .../clone endpoint among the simulator's requests.
std::vector<std::string> cloneRequests(const json& requests)
{
    std::vector<std::string> out;
    for (const auto& r : requests) {
        const std::string method = r.value("method", ""), path = r.value("path", "");
        if (method == "POST" && path.ends_with("/clone")) {
            out.push_back(method + " " + path);
        }
    }
    return out;
}

// Non-GET requests about guest `vmid` (either type).
std::vector<std::string> changesOf(const json& requests, uint32_t vmid)
{
    std::vector<std::string> out;
    const std::string marker = "/" + std::to_string(vmid);
    for (const auto& r : requests) {
        const std::string method = r.value("method", ""), path = r.value("path", "");
        const bool aboutIt = path.find("/lxc" + marker) != std::string::npos ||
                             path.find("/qemu" + marker) != std::string::npos;
        if (aboutIt && method != "GET") {
            out.push_back(method + " " + path);
        }
    }
    return out;
}

client::Spec podSpec(std::optional<uint32_t> vmid)
{
    client::Spec spec;
    if (vmid) {
        spec.setVmid(*vmid);
    }
    spec.setIpv4("auto").setCores(1).setMemoryMax(512ull << 20);
    return spec;
}

class VmidRangeRule : public ProxmoxTest {
public:
    static void SetUpTestSuite()
    {
        setupError_ = installRule();
        if (!setupError_.empty()) {
            ADD_FAILURE() << setupError_;
        }
    }

    static void TearDownTestSuite()
    {
        std::error_code ec;
        std::filesystem::remove(rulePath(), ec);
        if (ec) {
            ADD_FAILURE() << "cannot remove " << rulePath() << ": " << ec.message();
        }
        if (auto e = restartPolkitd(); !e.empty()) {
            ADD_FAILURE() << e;
            return;
        }
        // polkit answers again, and without the rule the outsider is back to
        // nothing: later suites see the sandbox's own rules only.
        if (!waitFor(outsiderCanRead, 20s)) {
            ADD_FAILURE() << "polkit does not answer 20 s after its restart without " << kRuleFile << "\n"
                          << polkitdLogTail();
            return;
        }
        const std::string probe = probeClone();
        if (probe != kAccessDenied) {
            ADD_FAILURE() << "with " << kRuleFile << " removed the outsider's dry-run clone is still " << probe;
        }
    }

protected:
    void SetUp() override
    {
        ProxmoxTest::SetUp();
        ASSERT_TRUE(setupError_.empty()) << "the README's rule is not installed: " << setupError_;
    }

private:
    static std::string installRule()
    {
        std::string rule;
        try {
            rule = outsiderRule(ruleFromReadme());
        } catch (const std::exception& e) {
            return e.what();
        }
        // The probe below needs the template listed (the driver reads the
        // cluster once at start).
        if (!waitFor(
                [] {
                    auto row = machineRowAsAuto(kTemplate);
                    return row.is_object() && row.value("state", "") == "template";
                },
                20s)) {
            return std::string(kTemplate) + " is not listed as a template after 20 s";
        }
        // Without the rule the outsider may not clone into its range: else
        // the yes below would prove nothing about the rule.
        if (auto before = probeClone(); before != kAccessDenied) {
            return "before the rule is installed the outsider's dry-run clone is " + before +
                   ", not AccessDenied: some other rule grants it";
        }
        {
            std::ofstream out(rulePath(), std::ios::trunc);
            out << rule;
            out.close();
            if (!out) {
                return "cannot write " + rulePath();
            }
        }
        if (::chmod(rulePath().c_str(), 0644) != 0) {
            return "cannot chmod 0644 " + rulePath();
        }
        if (auto e = restartPolkitd(); !e.empty()) {
            return e;
        }
        // polkitd.sh start waits for the name; wait until polkit answers a
        // check, then until the rule is what it answers with.
        if (!waitFor(outsiderCanRead, 20s)) {
            return "polkit does not answer 20 s after its restart\n" + polkitdLogTail();
        }
        std::string probe;
        if (!waitFor(
                [&] {
                    probe = probeClone();
                    return probe == "done";
                },
                20s)) {
            return fmt::format("with {} installed the outsider's dry-run clone into its range is still {}, "
                               "not done: polkit does not run the README's rule (a syntax error for duktape?)\n"
                               "polkitd.log:\n{}the rule as installed:\n{}",
                               kRuleFile, probe, polkitdLogTail(), rule);
        }
        return {};
    }

    static inline std::string setupError_;
};

// The whole life of a guest in the outsider's range: cloned from the
// template with its vmid named (zenithctl, the way a panel does), stopped,
// started, destroyed with FORCE.
TEST_F(VmidRangeRule, OwnRangeGuestFromCloneToDestroy)
{
    const std::string name = "vr-pod-9550";
    const uint32_t vmid = 9550;
    MachineCleanup cleanup(name);

    auto r = zenithctlOutsider({"clone", kTemplate, name, "--vmid", std::to_string(vmid), "--ip", "auto", "--cores",
                                "1", "--mem", "512"});
    ASSERT_EQ(r.exitCode, 0) << r.out << r.err << evidence(name);
    EXPECT_EQ(lastJson(r.out).value("result", ""), "done") << r.out;

    auto guest = simGuest(vmid);
    ASSERT_TRUE(guest.is_object()) << "no guest " << vmid << " on the cluster" << evidence(name);
    EXPECT_EQ(guest.value("type", ""), "lxc");
    EXPECT_EQ(guest.value("status", ""), "running") << guest.dump();
    EXPECT_EQ(guest["config"].value("hostname", ""), name) << guest.dump();
    auto info = machineInfo(name);
    ASSERT_TRUE(info.has_value()) << evidence(name);
    EXPECT_EQ(info->vmid, vmid);
    EXPECT_EQ(info->backend, "proxmox-lxc");
    EXPECT_EQ(info->createdByUid, outsiderUser().uid);

    // Stop and start: the power checks carry the machine's own vmid.
    EXPECT_EQ(outsiderRuns([&](client::Client& c) { return c.stop(name); }), "done") << evidence(name);
    EXPECT_EQ(simGuest(vmid).value("status", ""), "stopped") << evidence(name);
    EXPECT_EQ(machineState(name), "stopped");

    // A clone's vmid is the new guest's: in range, but the source is the
    // outsider's own guest, not a template. The rule clones templates only.
    {
        const std::string copy = "vr-pod-9551";
        MachineCleanup cleanCopy(copy);
        const auto jobsBefore = jobIds();
        const uint64_t seq = simLastRequestSeq();
        EXPECT_EQ(cloneAsOutsider(name, copy, podSpec(9551)), kAccessDenied) << evidence(copy);
        EXPECT_EQ(jobIds(), jobsBefore);
        EXPECT_EQ(cloneRequests(simRequestsSince(seq)), std::vector<std::string>{}) << evidence(copy);
        EXPECT_TRUE(simGuest(9551).is_null()) << simGuest(9551).dump();
        EXPECT_FALSE(machineOnBus(copy));
    }

    EXPECT_EQ(outsiderRuns([&](client::Client& c) { return c.start(name); }), "done") << evidence(name);
    EXPECT_EQ(simGuest(vmid).value("status", ""), "running") << evidence(name);
    EXPECT_EQ(machineState(name), "running");

    EXPECT_EQ(outsiderRuns([&](client::Client& c) { return c.destroy(name, client::kFlagForce); }), "done")
        << evidence(name);
    EXPECT_TRUE(simGuest(vmid).is_null()) << simGuest(vmid).dump() << evidence(name);
    EXPECT_TRUE(waitFor([&] { return !machineOnBus(name); }, 5s)) << name << " is still on the bus";
    EXPECT_EQ(leaseOf(name), std::nullopt);
}

// 9101 is in the README's range (mpanel's), not the outsider's: refused
// before any job, and the cluster is never asked to clone.
TEST_F(VmidRangeRule, CloneOutsideTheRangeIsDenied)
{
    const std::string name = "vr-pod-9101";
    MachineCleanup cleanup(name);
    const auto jobsBefore = jobIds();

    EXPECT_EQ(cloneAsOutsider(kTemplate, name, podSpec(9101)), kAccessDenied) << evidence(name);

    auto r = zenithctlOutsider({"clone", kTemplate, name, "--vmid", "9101", "--ip", "auto", "--cores", "1", "--mem",
                                "512"});
    EXPECT_EQ(r.exitCode, 3) << r.out << r.err;
    EXPECT_EQ(lastJson(r.out).value("error_name", ""), kAccessDenied) << r.out << r.err;

    EXPECT_EQ(jobIds(), jobsBefore);
    EXPECT_EQ(cloneRequests(simRequestsSince(seqAtStart_)), std::vector<std::string>{}) << evidence(name);
    EXPECT_TRUE(simGuest(9101).is_null()) << simGuest(9101).dump();
    EXPECT_FALSE(machineOnBus(name));
    EXPECT_EQ(leaseOf(name), std::nullopt);
}

// Without a vmid the cluster would pick one after polkit was asked: the
// rule cannot know it, so the outsider must name it.
TEST_F(VmidRangeRule, CloneWithoutVmidIsDenied)
{
    const std::string name = "vr-pod-novmid";
    MachineCleanup cleanup(name);
    const auto jobsBefore = jobIds();

    EXPECT_EQ(cloneAsOutsider(kTemplate, name, podSpec(std::nullopt)), kAccessDenied) << evidence(name);

    auto r = zenithctlOutsider({"clone", kTemplate, name, "--ip", "auto", "--cores", "1", "--mem", "512"});
    EXPECT_EQ(r.exitCode, 3) << r.out << r.err;
    EXPECT_EQ(lastJson(r.out).value("error_name", ""), kAccessDenied) << r.out << r.err;

    EXPECT_EQ(jobIds(), jobsBefore);
    EXPECT_EQ(cloneRequests(simRequestsSince(seqAtStart_)), std::vector<std::string>{}) << evidence(name);
    EXPECT_FALSE(simVmidByName(name).has_value()) << evidence(name);
    EXPECT_FALSE(machineOnBus(name));
}

// The template is guest 9000: not the outsider's to destroy.
TEST_F(VmidRangeRule, DestroyOfTheTemplateIsDenied)
{
    const auto jobsBefore = jobIds();

    EXPECT_EQ(outsiderRuns([](client::Client& c) { return c.destroy(kTemplate); }), kAccessDenied)
        << evidence(kTemplate);

    EXPECT_EQ(jobIds(), jobsBefore);
    EXPECT_EQ(changesOf(simRequestsSince(seqAtStart_), 9000), std::vector<std::string>{}) << evidence(kTemplate);
    EXPECT_TRUE(simGuest(9000).is_object()) << evidence(kTemplate);
    EXPECT_EQ(machineState(kTemplate), "template");
}

}  // namespace
}  // namespace zenith::bustest::pve
