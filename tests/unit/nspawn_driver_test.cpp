// The nspawn driver's orchestration (steps, rollback, Busy, template,
// probe) on temp dirs, with a fake runner and a template tree standing in
// for a debootstrapped image. Real debootstrap and nspawn: tests/e2e.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "file_text.h"  // tests/support

#include "drivers/nspawn/machine_config.h"
#include "drivers/nspawn/nspawn_driver.h"
#include "drivers/nspawn/ssh_host_keys.h"
#include "drivers/nspawn/uid_range.h"
#include "recording_job_context.h"

using namespace zenith;
using namespace zenith::drivers;
using namespace zenith::drivers::nspawn;
using core::ErrorCode;
using testsupport::RecordingJobContext;
namespace fs = std::filesystem;
using zenith::testsupport::readText;

namespace {

class FakeRunner final : public MachineRunner {
public:
    LimitSupport limitSupport() const override { return support; }
    LimitSupport support{true, true};
    core::Result<void> start(const RunTarget& t, std::stop_token cancel, std::chrono::seconds) override
    {
        started.push_back(t);
        if (cancel.stop_requested())
            return core::fail(ErrorCode::Cancelled, "cancelled");
        running.insert(t.name);
        return {};
    }
    core::Result<void> stop(const RunTarget& t, std::chrono::seconds) override
    {
        stopped.push_back(t.name);
        running.erase(t.name);
        return {};
    }
    core::Result<void> kill(const RunTarget& t) override
    {
        killed.push_back(t.name);
        running.erase(t.name);
        return {};
    }
    bool isRunning(const RunTarget& t) override { return running.count(t.name) > 0; }
    int leaderPid(const RunTarget&) override { return 0; }
    void setExitListener(std::function<void(const std::string&)> l) override { listener = std::move(l); }

    std::vector<RunTarget> started;
    std::vector<std::string> stopped;
    std::vector<std::string> killed;
    std::set<std::string> running;
    std::function<void(const std::string&)> listener;
};

class NspawnDriverTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char tmpl[] = "/tmp/zenith-driver-test-XXXXXX";
        dir_ = ::mkdtemp(tmpl);
        o_.stateDir = (dir_ / "state").string();
        o_.machinesDir = (dir_ / "machines").string();
        o_.debianMirror = "http://mirror.invalid/debian";  // never reached: the tests clone a template
        fs::create_directories(dir_ / "machines" / "tpl" / "etc");
        fs::create_directories(dir_ / "state" / "templates");
        std::ofstream(dir_ / "state" / "templates" / "tpl");
        std::ofstream(dir_ / "machines" / "tpl" / "etc" / "hostname") << "tpl\n";
        std::ofstream(dir_ / "machines" / "tpl" / "etc" / "shadow") << "root:*:1:0:99999:7:::\n";
        ::chmod((dir_ / "machines" / "tpl" / "etc" / "shadow").c_str(), 0640);
        runner_ = std::make_shared<FakeRunner>();
        driver_ = makeNspawnDriver(o_, runner_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    core::MachineSpec fromTemplate() const
    {
        core::MachineSpec s;
        s.templateName = "tpl";
        return s;
    }
    core::MachineRecord record(const std::string& name) const
    {
        core::MachineRecord m;
        m.name = name;
        m.backend = "nspawn";
        m.location = (dir_ / "machines" / name).string();
        return m;
    }
    // Everything on disk apart from the template and its marker.
    std::vector<std::string> leftovers() const
    {
        std::vector<std::string> out;
        for (const auto& e : fs::recursive_directory_iterator(dir_)) {
            auto rel = fs::relative(e.path(), dir_).string();
            if (rel.starts_with("machines/tpl") || rel == "machines" || rel == "state" || rel == "state/templates" ||
                rel == "state/templates/tpl" || rel == "state/images" || rel == "state/run")
                continue;
            out.push_back(rel);
        }
        return out;
    }

    fs::path dir_;
    NspawnOptions o_;
    std::shared_ptr<FakeRunner> runner_;
    std::unique_ptr<Driver> driver_;
};

}  // namespace

TEST_F(NspawnDriverTest, IdentifiesItself)
{
    EXPECT_EQ(driver_->id(), "nspawn");
    EXPECT_EQ(driver_->kind(), "container");
}

TEST_F(NspawnDriverTest, CreateReportsStepsInOrderAndStarts)
{
    RecordingJobContext ctx;
    auto spec = fromTemplate();
    spec.cpuQuota = 150;
    auto facts = driver_->create("web1", spec, true, ctx);
    ASSERT_TRUE(facts) << facts.error().message;
    EXPECT_EQ(ctx.steps(), (std::vector<std::string>{"architecture", "base-image", "clone", "configure", "start"}));
    EXPECT_TRUE(ctx.monotonic());
    EXPECT_DOUBLE_EQ(ctx.events().back().fraction, 1.0);

    EXPECT_EQ(facts->distro, "debian");
    EXPECT_EQ(facts->release, "bookworm");
    EXPECT_EQ(facts->location, (dir_ / "machines" / "web1").string());
    EXPECT_EQ(readText(dir_ / "machines" / "web1" / "etc" / "hostname"), "web1\n");
    EXPECT_GE(facts->uidShift, kFirstUidBase);
    EXPECT_EQ(readText(dir_ / "machines" / "web1.nspawn"), renderNspawnSettings({"web1", "", facts->uidShift, "auto"}));
    EXPECT_NE(ctx.events().back().message.find("its root is host uid " + std::to_string(facts->uidShift)),
              std::string::npos)
        << ctx.events().back().message;
    ASSERT_EQ(runner_->started.size(), 1u);
    EXPECT_EQ(runner_->started[0].name, "web1");
    EXPECT_EQ(runner_->started[0].rootfs, (dir_ / "machines" / "web1").string());
    EXPECT_EQ(runner_->started[0].settings, (dir_ / "machines" / "web1.nspawn").string());
    EXPECT_EQ(runner_->started[0].cpuQuota, 150u);
    EXPECT_EQ(driver_->probe(record("web1")), core::MachineState::Running);
}

TEST_F(NspawnDriverTest, NoStartStopsAfterConfigure)
{
    RecordingJobContext ctx;
    ASSERT_TRUE(driver_->create("web1", fromTemplate(), false, ctx));
    EXPECT_EQ(ctx.steps().back(), "configure");
    EXPECT_TRUE(runner_->started.empty());
    EXPECT_EQ(driver_->probe(record("web1")), core::MachineState::Stopped);
}

TEST_F(NspawnDriverTest, PasswordNeverLeavesShadow)
{
    RecordingJobContext ctx;
    auto spec = fromTemplate();
    spec.password = core::Secret("Pl41n-S3cret");
    ASSERT_TRUE(driver_->create("web1", spec, true, ctx));
    std::string shadow = readText(dir_ / "machines" / "web1" / "etc" / "shadow");
    EXPECT_TRUE(shadow.starts_with("root:$y$")) << shadow;
    for (const auto& e : fs::recursive_directory_iterator(dir_)) {
        if (e.is_regular_file()) {
            EXPECT_EQ(readText(e.path()).find("Pl41n-S3cret"), std::string::npos) << e.path();
        }
    }
    for (const auto& ev : ctx.events())
        EXPECT_EQ(ev.message.find("Pl41n-S3cret"), std::string::npos);
    EXPECT_EQ(driver_->plan("web1", spec).find("Pl41n-S3cret"), std::string::npos);
}

class NspawnDriverCancel : public NspawnDriverTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(NspawnDriverCancel, CancelAtAnyStepLeavesNothing)
{
    RecordingJobContext ctx;
    ctx.cancelAtStep(GetParam());
    auto r = driver_->create("web1", fromTemplate(), true, ctx);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::Cancelled) << r.error().message;
    EXPECT_EQ(leftovers(), std::vector<std::string>{});
    EXPECT_TRUE(runner_->running.empty());
}

INSTANTIATE_TEST_SUITE_P(Steps, NspawnDriverCancel,
                         ::testing::Values("architecture", "base-image", "clone", "configure", "start"));

TEST_F(NspawnDriverTest, ExistingMachineIsNotTouched)
{
    fs::create_directories(dir_ / "machines" / "web1");
    std::ofstream(dir_ / "machines" / "web1" / "data") << "mine";
    RecordingJobContext ctx;
    auto r = driver_->create("web1", fromTemplate(), true, ctx);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::MachineExists);
    EXPECT_EQ(readText(dir_ / "machines" / "web1" / "data"), "mine");
}

TEST_F(NspawnDriverTest, UnknownTemplateIsNoSuchImage)
{
    RecordingJobContext ctx;
    core::MachineSpec s;
    s.templateName = "nope";
    auto r = driver_->create("web1", s, true, ctx);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::NoSuchImage);
    EXPECT_EQ(leftovers(), std::vector<std::string>{});
}

TEST_F(NspawnDriverTest, InvalidSpecChangesNothing)
{
    RecordingJobContext ctx;
    auto s = fromTemplate();
    s.tunnel = std::map<std::string, std::string>{{"remote", "192.0.2.1"}};
    auto r = driver_->create("web1", s, true, ctx);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgs);
    EXPECT_TRUE(r.error().message.starts_with("tunnel")) << r.error().message;
    EXPECT_EQ(leftovers(), std::vector<std::string>{});
}

TEST_F(NspawnDriverTest, DestroyNeedsForceWhileRunning)
{
    RecordingJobContext c1;
    ASSERT_TRUE(driver_->create("web1", fromTemplate(), true, c1));
    RecordingJobContext c2;
    auto busy = driver_->destroy(record("web1"), false, c2);
    ASSERT_FALSE(busy);
    EXPECT_EQ(busy.error().code, ErrorCode::Busy);
    EXPECT_TRUE(fs::exists(dir_ / "machines" / "web1"));

    RecordingJobContext c3;
    ASSERT_TRUE(driver_->destroy(record("web1"), true, c3));
    // Killed, not powered off: its disk goes next.
    EXPECT_EQ(runner_->killed, std::vector<std::string>{"web1"});
    EXPECT_EQ(runner_->stopped, std::vector<std::string>{});
    EXPECT_FALSE(c3.cancelable());
    EXPECT_EQ(leftovers(), std::vector<std::string>{});
    EXPECT_EQ(driver_->probe(record("web1")), core::MachineState::Failed);
}

// Cancelable turns false before destroy deletes anything: a cancel that
// comes with the "destroy" step is refused (NotCancelable, as the engine
// answers), and the destroy finishes.
TEST_F(NspawnDriverTest, DestroyPassesItsPointOfNoReturnBeforeItDeletes)
{
    RecordingJobContext c1;
    ASSERT_TRUE(driver_->create("web1", fromTemplate(), false, c1));
    RecordingJobContext c2;
    c2.cancelAtStep("destroy");
    ASSERT_TRUE(driver_->destroy(record("web1"), false, c2));
    EXPECT_EQ(c2.refusedCancels(), 1);
    EXPECT_FALSE(c2.cancelRequested());
    EXPECT_EQ(leftovers(), std::vector<std::string>{});
}

TEST_F(NspawnDriverTest, DestroyRemovesWhatKilledWritersLeftOfThatMachineOnly)
{
    RecordingJobContext c1;
    ASSERT_TRUE(driver_->create("web1", fromTemplate(), false, c1));
    // A daemon killed mid-write, a systemd-nspawn killed mid-run, a copy
    // that died half-way - and another machine's leftovers with a name that
    // starts the same.
    fs::create_directories(dir_ / "state" / "run");
    std::ofstream(dir_ / "state" / "run" / ".#web1.pid.1a2b3c4d") << "12 34\n";
    std::ofstream(dir_ / "machines" / ".#web1.lck");
    std::ofstream(dir_ / "machines" / ".#web1.nspawn.deadbeef") << "[Exec]\n";
    fs::create_directories(dir_ / "machines" / ".#web1.partial" / "etc");
    std::ofstream(dir_ / "machines" / ".#web10.lck");

    RecordingJobContext c2;
    ASSERT_TRUE(driver_->destroy(record("web1"), false, c2));
    EXPECT_EQ(leftovers(), std::vector<std::string>{"machines/.#web10.lck"});
}

TEST_F(NspawnDriverTest, CloneNeedsAStoppedSourceAndGetsItsOwnIdentity)
{
    RecordingJobContext c1;
    ASSERT_TRUE(driver_->create("web1", fromTemplate(), true, c1));
    auto src = record("web1");
    src.distro = "debian";
    src.release = "bookworm";
    src.arch = "amd64";
    RecordingJobContext c2;
    auto busy = driver_->clone(src, "web2", {}, false, c2);
    ASSERT_FALSE(busy);
    EXPECT_EQ(busy.error().code, ErrorCode::Busy);
    EXPECT_FALSE(fs::exists(dir_ / "machines" / "web2"));

    RecordingJobContext c3;
    ASSERT_TRUE(driver_->stop(src, false, c3));
    RecordingJobContext c4;
    auto facts = driver_->clone(src, "web2", {}, true, c4);
    ASSERT_TRUE(facts) << facts.error().message;
    EXPECT_EQ(c4.steps(), (std::vector<std::string>{"clone", "configure", "start"}));
    EXPECT_EQ(facts->release, "bookworm");
    EXPECT_EQ(readText(dir_ / "machines" / "web2" / "etc" / "hostname"), "web2\n");
    EXPECT_NE(readText(dir_ / "machines" / "web2" / "etc" / "machine-id"),
              readText(dir_ / "machines" / "web1" / "etc" / "machine-id"));
    EXPECT_TRUE(fs::exists(dir_ / "machines" / "web2.nspawn"));
}

TEST_F(NspawnDriverTest, ATreeWithoutSshdStillLosesItsSourcesHostKeys)
{
    fs::create_directories(dir_ / "machines" / "tpl" / "etc/ssh");
    std::ofstream(dir_ / "machines" / "tpl" / "etc/ssh/ssh_host_ed25519_key") << "the template's";
    RecordingJobContext ctx;
    auto r = driver_->create("web1", fromTemplate(), false, ctx);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(r->sshHostKeys.empty());
    EXPECT_FALSE(fs::exists(dir_ / "machines" / "web1" / "etc/ssh/ssh_host_ed25519_key"));
}

TEST_F(NspawnDriverTest, SshNeedsAServerInTheTreeAndChangesNothingWithout)
{
    auto spec = fromTemplate();
    spec.ssh = true;
    RecordingJobContext ctx;
    auto r = driver_->create("web1", spec, false, ctx);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgs);
    EXPECT_TRUE(r.error().message.starts_with("ssh: web1 has no OpenSSH server")) << r.error().message;
    EXPECT_EQ(leftovers(), std::vector<std::string>{});
}

// Each machine gets host keys of its own before its first boot: never the
// template's, never its clone source's; their fingerprints are facts.
TEST_F(NspawnDriverTest, EveryMachineGetsHostKeysOfItsOwn)
{
    fs::create_directories(dir_ / "machines" / "tpl" / "usr/sbin");
    fs::create_directories(dir_ / "machines" / "tpl" / "etc/ssh");
    std::ofstream(dir_ / "machines" / "tpl" / "usr/sbin/sshd") << "";
    std::ofstream(dir_ / "machines" / "tpl" / "etc/ssh/ssh_host_ed25519_key.pub") << "the template's";
    auto spec = fromTemplate();
    spec.ssh = true;
    RecordingJobContext c1;
    auto web1 = driver_->create("web1", spec, false, c1);
    ASSERT_TRUE(web1) << web1.error().message;
    ASSERT_EQ(web1->sshHostKeys.size(), 2u);
    EXPECT_TRUE(web1->sshHostKeys[0].starts_with("ssh-ed25519 SHA256:")) << web1->sshHostKeys[0];
    EXPECT_TRUE(web1->sshHostKeys[1].starts_with("ecdsa-sha2-nistp256 SHA256:")) << web1->sshHostKeys[1];
    const std::string pub = readText(dir_ / "machines" / "web1" / "etc/ssh/ssh_host_ed25519_key.pub");
    EXPECT_EQ(hostKeyFingerprint(pub).value_or(""), web1->sshHostKeys[0]);
    EXPECT_EQ(fs::read_symlink(dir_ / "machines" / "web1" / "etc/systemd/system/multi-user.target.wants/ssh.service"),
              "/lib/systemd/system/ssh.service");
    EXPECT_FALSE(fs::exists(dir_ / "machines" / "web1" / "etc/ssh/sshd_not_to_be_run"));

    auto src = record("web1");
    RecordingJobContext c2;
    spec.ssh = false;
    auto web2 = driver_->clone(src, "web2", spec, false, c2);
    ASSERT_TRUE(web2) << web2.error().message;
    EXPECT_TRUE(fs::exists(dir_ / "machines" / "web2" / "etc/ssh/sshd_not_to_be_run"));
    ASSERT_EQ(web2->sshHostKeys.size(), 2u);
    EXPECT_NE(web2->sshHostKeys, web1->sshHostKeys);
    EXPECT_NE(readText(dir_ / "machines" / "web2" / "etc/ssh/ssh_host_ed25519_key"),
              readText(dir_ / "machines" / "web1" / "etc/ssh/ssh_host_ed25519_key"));
    // The private keys were made in the state dir and are gone from it.
    for (const auto& e : fs::recursive_directory_iterator(dir_ / "state"))
        EXPECT_FALSE(e.path().filename().string().starts_with(".hostkeys-")) << e.path();
}

TEST_F(NspawnDriverTest, TemplateCannotStartAndIsListed)
{
    RecordingJobContext c1;
    ASSERT_TRUE(driver_->create("gold", fromTemplate(), false, c1));
    RecordingJobContext c2;
    ASSERT_TRUE(driver_->makeTemplate(record("gold"), c2));
    EXPECT_EQ(driver_->probe(record("gold")), core::MachineState::Template);
    RecordingJobContext c3;
    auto r = driver_->start(record("gold"), c3);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgs);

    auto images = driver_->imageCatalog()->images();
    ASSERT_TRUE(images);
    bool found = false;
    for (const auto& i : *images)
        if (i.id == "gold" && i.kind == "template" && i.size > 0)
            found = true;
    EXPECT_TRUE(found);

    RecordingJobContext c4;
    ASSERT_TRUE(driver_->destroy(record("gold"), false, c4));
    EXPECT_FALSE(fs::exists(dir_ / "state" / "templates" / "gold"));
}

TEST_F(NspawnDriverTest, RollbackPartialRemovesHalfMadeMachines)
{
    fs::create_directories(dir_ / "machines" / "half" / "etc");
    fs::create_directories(dir_ / "machines" / ".#half.partial" / "etc");
    std::ofstream(dir_ / "machines" / "half.nspawn") << "[Exec]\n";
    driver_->rollbackPartial(record("half"));
    EXPECT_EQ(leftovers(), std::vector<std::string>{});
}

TEST_F(NspawnDriverTest, ExitOfARunningMachineReachesTheStateListener)
{
    std::string who;
    core::MachineState state = core::MachineState::Running;
    driver_->setStateListener([&](const std::string& n, core::MachineState s) {
        who = n;
        state = s;
    });
    ASSERT_TRUE(runner_->listener);
    runner_->listener("web1");
    EXPECT_EQ(who, "web1");
    EXPECT_EQ(state, core::MachineState::Stopped);
}

TEST_F(NspawnDriverTest, PlanDescribesWithoutChanging)
{
    auto s = fromTemplate();
    s.password = core::Secret("x");
    auto plan = driver_->plan("web1", s);
    EXPECT_NE(plan.find("web1"), std::string::npos);
    EXPECT_NE(plan.find("template"), std::string::npos);
    EXPECT_NE(plan.find("root password set (hashed)"), std::string::npos);
    EXPECT_EQ(leftovers(), std::vector<std::string>{});
}

TEST_F(NspawnDriverTest, AutoAddressesComeFromTheConfiguredPoolAndThePlanNamesIt)
{
    o_.pool = "lab";
    o_.bridge = "br0";
    driver_ = makeNspawnDriver(o_, runner_);
    EXPECT_EQ(driver_->addressPool(), "lab");
    auto s = fromTemplate();
    s.ipv4 = "auto";
    s.ipv6 = "2001:db8::5/64";
    auto plan = driver_->plan("web1", s);
    EXPECT_NE(plan.find("- address: the next free one of pool lab (leased when the job runs)"), std::string::npos)
        << plan;
    EXPECT_NE(plan.find("- IPv6 address: 2001:db8::5/64\n"), std::string::npos) << plan;
    s.pool = "other";
    EXPECT_NE(driver_->plan("web1", s).find("pool other"), std::string::npos);
}

// The tenant's root is never the host's: each machine gets a range of its
// own, recorded in its settings; a clone never shares its source's.
TEST_F(NspawnDriverTest, EachMachineGetsAUserNamespaceRangeOfItsOwn)
{
    auto make = [&](const std::string& name) {
        RecordingJobContext c;
        auto f = driver_->create(name, fromTemplate(), false, c);
        EXPECT_TRUE(f) << f.error().message;
        return f ? f->uidShift : 0u;
    };
    const uint32_t a = make("web1"), b = make("web2");
    EXPECT_GE(a, kFirstUidBase);
    EXPECT_EQ(a % kUidRangeSize, 0u);
    EXPECT_NE(a, b);
    for (auto [name, base] : {std::pair{"web1", a}, {"web2", b}}) {
        std::string settings = readText(dir_ / "machines" / (std::string(name) + ".nspawn"));
        EXPECT_NE(settings.find(fmt::format("PrivateUsers={}:65536\n", base)), std::string::npos) << settings;
        EXPECT_NE(settings.find("[Files]\nPrivateUsersOwnership=auto\n"), std::string::npos) << settings;
    }

    auto src = record("web1");
    RecordingJobContext cc;
    auto clone = driver_->clone(src, "web3", {}, false, cc);
    ASSERT_TRUE(clone) << clone.error().message;
    EXPECT_NE(clone->uidShift, a);
    EXPECT_NE(clone->uidShift, b);

    // A destroyed machine's range is free again.
    RecordingJobContext d;
    ASSERT_TRUE(driver_->destroy(record("web2"), true, d));
    EXPECT_EQ(make("web4"), b);
}

// A machine made before user namespaces gets a range when it starts.
TEST_F(NspawnDriverTest, AMachineWithoutARangeGetsOneAtStart)
{
    RecordingJobContext c;
    auto made = driver_->create("old", fromTemplate(), false, c);
    ASSERT_TRUE(made);
    std::ofstream(dir_ / "machines" / "old.nspawn") << renderNspawnSettings({"old", ""});
    RecordingJobContext s;
    ASSERT_TRUE(driver_->start(record("old"), s));
    auto base = privateUsersBase(readText(dir_ / "machines" / "old.nspawn"));
    ASSERT_TRUE(base);
    EXPECT_GE(*base, kFirstUidBase);
    EXPECT_NE(s.events().back().message.find("its root is host uid " + std::to_string(*base)), std::string::npos)
        << s.events().back().message;
}

// A limit the runner cannot enforce is refused up front, naming the key:
// never accepted and then ignored.
TEST_F(NspawnDriverTest, LimitsTheRunnerCannotEnforceAreRefused)
{
    runner_->support = {false, true};
    auto spec = fromTemplate();
    spec.cpuQuota = 100;
    auto r = driver_->validate(spec);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgs);
    EXPECT_TRUE(r.error().message.starts_with("cpu_quota:")) << r.error().message;
    spec.cpuQuota.reset();
    spec.memoryMax = 1ull << 30;
    EXPECT_TRUE(driver_->validate(spec));
    runner_->support = {true, false};
    EXPECT_FALSE(driver_->validate(spec));
}
