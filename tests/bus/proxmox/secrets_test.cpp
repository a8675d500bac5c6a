// The API token secret is never in a log, a job's text, a client's output,
// a file of the daemon's state, or the argv or environment of any process
// in the sandbox. Its own calls first (a clone, a refused destroy, a failed
// create), so the check means something when run alone; listed last in
// CMakeLists.txt, so in a full run it also covers every other test's output.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "daemon_view.h"
#include "proxmox_support.h"
#include "sandbox_env.h"
#include "tree_search.h"

namespace zenith::bustest::pve {
namespace {

namespace fs = std::filesystem;

std::string readAll(const fs::path& file)
{
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

class ProxmoxSecrets : public ProxmoxTest {};

TEST_F(ProxmoxSecrets, TokenSecretIsNowhere)
{
    const std::string secret = tokenSecret();
    ASSERT_GE(secret.size(), 16u) << "the sandbox's token secret should be random and long";

    // Some traffic of this test's own: a clone, a refused destroy, a failed
    // create, the job list.
    {
        const std::string name = "pod-secret";
        MachineCleanup cleanup(name);
        client::Spec spec;
        spec.setVmid(9141).setIpv4("auto").setCores(1).setMemoryMax(512ull << 20);
        auto made = cloneAsAuto(kTemplate, name, spec);
        EXPECT_TRUE(made.done()) << made.describe() << evidence(name);
        (void)destroyAsAuto(name);
        client::Spec bad;
        bad.setIso("missing.iso").setCores(1).setMemoryMax(1ull << 30).setDiskMax(8ull << 30);
        (void)createAsAuto("lab-secret", "proxmox-qemu", bad);
        (void)zenithctlAuto({"jobs"});
        (void)zenithctlAuto({"show", name});
    }
    destroyIfPresent("lab-secret");

    // Job texts the daemon still shows.
    auto c = connectClient();
    auto jobs = c.jobs();
    ASSERT_TRUE(jobs.has_value());
    for (const auto& row : *jobs) {
        auto status = c.job(row.id).status();
        if (status) {
            recordClientText(status->message);
            recordClientText(status->errorMessage);
            recordClientText(status->step);
        }
    }
    size_t leaking = 0;
    for (const auto& text : recordedClientTexts()) {
        if (text.find(secret) != std::string::npos) {
            ++leaking;
        }
    }
    EXPECT_EQ(leaking, 0u) << "the token secret is in job messages or zenithctl output";
    EXPECT_GT(recordedClientTexts().size(), 0u);

    // The daemon's and the simulator's logs (and polkitd's, dbus-daemon's).
    const fs::path sandbox = sandboxVar("ZENITH_SANDBOX");
    const fs::path daemonLog = sandboxVar("ZENITH_DAEMON_LOG"), simLog = sandboxVar("ZENITH_PVE_LOG");
    ASSERT_GT(fs::file_size(daemonLog), 0u);
    auto logs = testsupport::searchTree(sandbox / "logs", secret);
    EXPECT_EQ(logs.found, std::vector<fs::path>{});
    EXPECT_NE(std::find(logs.searched.begin(), logs.searched.end(), daemonLog.lexically_normal()), logs.searched.end());
    EXPECT_NE(std::find(logs.searched.begin(), logs.searched.end(), simLog.lexically_normal()), logs.searched.end());

    // The daemon's state (registry, its WAL, checkpoints of jobs) and the
    // generated config: only the secret file itself may hold it.
    auto state = testsupport::searchTree(sandboxVar("ZENITH_STATE_DIR"), secret);
    EXPECT_EQ(state.found, std::vector<fs::path>{});
    auto etc = testsupport::searchTree(sandbox / "etc", secret, {"pve-token"});
    EXPECT_EQ(etc.found, std::vector<fs::path>{});
    const auto config = readAll(sandbox / "etc" / "provisioner.conf");
    EXPECT_NE(config.find("TokenSecretFile="), std::string::npos) << config;

    // argv and environment of every process of the sandbox (its own PID
    // namespace: /proc shows exactly those).
    std::vector<std::string> inArgv, inEnv;
    size_t processes = 0;
    for (const auto& entry : fs::directory_iterator("/proc")) {
        const std::string pid = entry.path().filename();
        if (pid.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        ++processes;
        const std::string cmdline = readAll(entry.path() / "cmdline");
        if (cmdline.find(secret) != std::string::npos) {
            std::string shown = cmdline;
            std::replace(shown.begin(), shown.end(), '\0', ' ');
            inArgv.push_back(pid + ": " + shown.substr(0, shown.find(secret)) + "<secret>...");
        }
        if (readAll(entry.path() / "environ").find(secret) != std::string::npos) {
            inEnv.push_back(pid + ": " + readAll(entry.path() / "comm"));
        }
    }
    EXPECT_GT(processes, 3u) << "the daemon, polkitd, dbus-daemon, the simulator, this test";
    EXPECT_EQ(inArgv, std::vector<std::string>{});
    EXPECT_EQ(inEnv, std::vector<std::string>{});
}

}  // namespace
}  // namespace zenith::bustest::pve
