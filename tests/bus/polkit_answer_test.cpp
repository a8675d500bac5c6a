// What the daemon makes of polkit's answers it cannot turn into a yes: a
// password would be needed (InteractiveAuthorizationRequired, not a hang),
// polkit is not there at all, or there but never answers (fail closed:
// AccessDenied).
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <fstream>

#include "child_process.h"
#include "daemon_view.h"
#include "sandbox_env.h"

namespace zenith::bustest {
namespace {

TEST(PolkitAnswer, PasswordNeededIsInteractiveAuthorizationRequired)
{
    const std::string name = "template-src";
    MachineCleanup cleanup(name);
    ASSERT_EQ(createStoppedAsRoot(name), "done");
    auto jobsBefore = jobIds();

    std::string answer = runAs(
        outsiderUser(),
        [&] {
            // Without ALLOW_INTERACTIVE_AUTHORIZATION (the default). A call
            // that waited for an authentication agent would end in the
            // client's own timeout instead of this answer.
            auto job = connectClient(std::chrono::seconds(20)).makeTemplate(name);
            return job ? std::string("accepted") : callErrorText(job.error());
        },
        std::chrono::seconds(60));

    EXPECT_EQ(answer, kInteractiveAuthorizationRequired);
    EXPECT_EQ(jobIds(), jobsBefore);
    EXPECT_EQ(machineState(name), "stopped");
}

TEST(PolkitAnswer, InteractionAllowedIsPassedToPolkit)
{
    // With ALLOW_INTERACTIVE_AUTHORIZATION polkit is asked to authenticate
    // the caller; here no authentication agent is registered, so it says no
    // at once: AccessDenied (the caller allowed a prompt; there was none to
    // give), not InteractiveAuthorizationRequired, and nothing happens.
    const std::string name = "template-src-i";
    MachineCleanup cleanup(name);
    ASSERT_EQ(createStoppedAsRoot(name), "done");
    auto jobsBefore = jobIds();

    std::string answer = runAs(
        outsiderUser(),
        [&] {
            client::ConnectOptions options;
            options.allowInteractiveAuthorization = true;
            options.callTimeout = std::chrono::seconds(20);
            auto c = client::Client::connect(options);
            if (!c)
                return callErrorText(c.error());
            auto job = c->makeTemplate(name);
            return job ? std::string("accepted") : callErrorText(job.error());
        },
        std::chrono::seconds(60));

    EXPECT_EQ(answer, kAccessDenied);
    EXPECT_EQ(jobIds(), jobsBefore);
    EXPECT_EQ(machineState(name), "stopped");
}

// Restarts polkitd even when the test fails half way.
class PolkitdStopped {
public:
    PolkitdStopped() { ok_ = control("stop"); }
    ~PolkitdStopped() { control("start"); }
    bool ok() const { return ok_; }

private:
    static bool control(const char* verb)
    {
        auto r = runProgram({sandboxVar("ZENITH_HARNESS_DIR") + "/polkitd.sh", verb}, rootUser());
        if (r.exitCode != 0) {
            ADD_FAILURE() << "polkitd.sh " << verb << ": " << r.err;
        }
        return r.exitCode == 0;
    }
    bool ok_;
};

TEST(PolkitAnswer, PolkitUnreachableIsAccessDenied)
{
    const std::string name = "no-polkit";
    MachineCleanup cleanup(name);
    auto create = [&](const TestUser& user, uint64_t flags) {
        return runAs(user, [&] {
            auto made = connectClient(std::chrono::seconds(20)).create(name, "nspawn", bookwormSpec(), flags);
            if (!made) {
                return callErrorText(made.error());
            }
            return outcomeText(made->job.wait({}, std::chrono::seconds(30)));
        });
    };
    {
        PolkitdStopped stopped;
        ASSERT_TRUE(stopped.ok());
        auto jobsBefore = jobIds();
        EXPECT_EQ(create(automationUser(), client::kFlagNoStart), kAccessDenied);
        EXPECT_EQ(jobIds(), jobsBefore);
        EXPECT_FALSE(machineOnBus(name));
        EXPECT_FALSE(rootfsExists(name));
        // Root passes without asking polkit.
        EXPECT_EQ(create(rootUser(), client::kFlagDryRun), "done");
    }
    // The same call goes through once polkit is back: the denial above was
    // polkit's absence, not the user.
    EXPECT_EQ(create(automationUser(), client::kFlagDryRun), "done");
}

// SIGSTOPs the sandbox's polkitd: it stays on the bus and takes calls, but
// never answers - a wedged polkit, not an absent one. Resumed (SIGCONT) when
// the test ends, however it ends, so later tests have polkit again.
class PolkitdFrozen {
public:
    PolkitdFrozen() : pid_(std::stoi(readFile(sandboxVar("ZENITH_SANDBOX") + "/run/polkitd.pid")))
    {
        const std::string comm = readFile("/proc/" + std::to_string(pid_) + "/comm");
        ok_ = comm == "polkitd" && ::kill(pid_, SIGSTOP) == 0;
        if (!ok_) {
            ADD_FAILURE() << "cannot stop polkitd (pid " << pid_ << ", " << comm << ")";
        }
    }
    ~PolkitdFrozen() { ::kill(pid_, SIGCONT); }
    bool ok() const { return ok_; }

private:
    // The first word of a small file.
    static std::string readFile(const std::string& path)
    {
        std::ifstream in(path);
        std::string word;
        in >> word;
        return word;
    }
    pid_t pid_;
    bool ok_ = false;
};

// The daemon gives up on polkit after 20 s and denies; a client waits 25 s
// by default (sd-bus). So a caller with default settings gets AccessDenied,
// never a timeout of its own, and nothing happens.
TEST(PolkitAnswer, HangingPolkitIsAccessDeniedBeforeTheCallerTimesOut)
{
    const std::string name = "frozen-polkit";
    MachineCleanup cleanup(name);
    auto create = [&](uint64_t flags) {
        return runAs(automationUser(), [&] {
            // zero: sd-bus's default call timeout, as any client has it.
            auto made = connectClient(std::chrono::milliseconds::zero()).create(name, "nspawn", bookwormSpec(), flags);
            if (!made) {
                return callErrorText(made.error());
            }
            return outcomeText(made->job.wait({}, std::chrono::seconds(60)));
        });
    };
    {
        PolkitdFrozen frozen;
        ASSERT_TRUE(frozen.ok());
        auto jobsBefore = jobIds();  // root: no polkit needed
        EXPECT_EQ(create(client::kFlagNoStart), kAccessDenied);
        EXPECT_EQ(jobIds(), jobsBefore);
        EXPECT_FALSE(machineOnBus(name));
        EXPECT_FALSE(rootfsExists(name));
    }
    // Resumed, polkit answers again: the denial was the hang, not the user.
    EXPECT_EQ(create(client::kFlagDryRun), "done");
}

}  // namespace
}  // namespace zenith::bustest
