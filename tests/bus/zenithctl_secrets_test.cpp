// zenithctl's secret options end to end: the value reaches the daemon (a
// password as the root hash of the new machine, which only the exact value
// verifies; a WireGuard config as the nspawn backend's refusal naming the
// key), and the value itself is nowhere else - not in zenithctl's command
// line or output, the daemon's log, the state dir or the machines dir.
#include <gtest/gtest.h>

#include <crypt.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "daemon_view.h"
#include "private_sshd.h"
#include "sandbox_env.h"
#include "tree_search.h"
#include "zenithctl_run.h"

namespace zenith::bustest {
namespace {

namespace fs = std::filesystem;

std::string readFile(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// What a panel would write: a file only the automation user can read.
class SecretFile {
public:
    SecretFile(const std::string& name, const std::string& content)
        : path_(fs::path(homeOf(automationUser())) / name)
    {
        std::ofstream(path_) << content;
        ::chown(path_.c_str(), automationUser().uid, automationUser().gid);
        fs::permissions(path_, fs::perms::owner_read | fs::perms::owner_write);
    }
    ~SecretFile() { fs::remove(path_); }
    std::string path() const { return path_.string(); }

private:
    fs::path path_;
};

void expectNotInArgv(const std::vector<std::string>& args, const std::string& secret)
{
    for (const auto& a : args) {
        EXPECT_EQ(a.find(secret), std::string::npos) << "zenithctl's argv holds the secret: " << a;
    }
}

// True when `secret` is the password behind the machine's root hash.
bool rootHashVerifies(const std::string& machine, const std::string& secret)
{
    std::istringstream shadow(readFile(fs::path(rootfsPath(machine)) / "etc/shadow"));
    for (std::string line; std::getline(shadow, line);) {
        if (!line.starts_with("root:"))
            continue;
        const std::string hash = line.substr(5, line.find(':', 5) - 5);
        auto data = std::make_unique<crypt_data>();
        const char* again = crypt_r(secret.c_str(), hash.c_str(), data.get());
        return hash.starts_with("$") && again != nullptr && hash == again;
    }
    return false;
}

void expectNowhere(const std::string& secret, const ProgramResult& zenithctl)
{
    EXPECT_EQ(zenithctl.out.find(secret), std::string::npos) << zenithctl.out;
    EXPECT_EQ(zenithctl.err.find(secret), std::string::npos) << zenithctl.err;
    EXPECT_EQ(readFile(sandboxVar("ZENITH_DAEMON_LOG")).find(secret), std::string::npos) << "in the daemon's log";

    // Every file of the state dir (registry, its WAL, run/, templates/, the
    // images' size files) but the base image trees: debootstrap's output,
    // built by the suite's warm-up before any secret existed and only read
    // (copied) by a create since.
    const fs::path state = sandboxVar("ZENITH_STATE_DIR");
    std::vector<fs::path> baseImages;
    for (const auto& e : fs::directory_iterator(state / "images"))
        if (e.is_directory() && !e.path().filename().string().starts_with("."))
            baseImages.push_back(fs::relative(e.path(), state));
    ASSERT_FALSE(baseImages.empty()) << "no base image: the state dir is not what this test expects";
    auto inState = testsupport::searchTree(state, secret, baseImages);
    EXPECT_EQ(inState.found, std::vector<fs::path>{});
    EXPECT_NE(std::find(inState.searched.begin(), inState.searched.end(), state / "zenith.db"), inState.searched.end())
        << "the registry was not searched";

    auto inMachines = testsupport::searchTree(machinesDir(), secret);
    EXPECT_EQ(inMachines.found, std::vector<fs::path>{});
}

// zenithctl create NAME --no-start, given the password by `passwordOptions`
// (and `input` on stdin): the exact value must become the new machine's
// root hash, and appear nowhere else.
void expectPasswordOnlyAsTheRootHash(const std::string& name, const std::string& secret,
                                     const std::vector<std::string>& passwordOptions,
                                     const std::optional<std::string>& input = std::nullopt)
{
    std::vector<std::string> args = {"--json", "--no-ask-password", "create", name, "--no-start"};
    args.insert(args.end(), passwordOptions.begin(), passwordOptions.end());
    expectNotInArgv(args, secret);

    auto r = zenithctlAs(automationUser(), args, {}, input);
    ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
    EXPECT_TRUE(rootHashVerifies(name, secret)) << "the daemon did not set the password it was given";
    expectNowhere(secret, r);
}

TEST(ZenithctlSecrets, PasswordFromStdinArrivesOnlyAsTheRootHash)
{
    const std::string name = "cli-pw-stdin";
    const std::string secret = "stdin-Pl4in-S3cret-4711";
    MachineCleanup cleanup(name);
    expectPasswordOnlyAsTheRootHash(name, secret, {"--password-stdin"}, secret + "\n");
}

TEST(ZenithctlSecrets, PasswordFileArrivesOnlyAsTheRootHash)
{
    const std::string name = "cli-pw-file";
    const std::string secret = "file-Pl4in-S3cret-0815";
    MachineCleanup cleanup(name);
    SecretFile file("root-password", secret + "\n");
    expectPasswordOnlyAsTheRootHash(name, secret, {"--password-file", file.path()});
}

TEST(ZenithctlSecrets, WireguardConfigFileReachesTheDaemonWhichRefusesTheKey)
{
    const std::string name = "cli-wg";
    const std::string privateKey = "wgPrivKey+Zenith+Secret+0000000000000000000=";
    MachineCleanup cleanup(name);
    SecretFile file("wg0.conf", "[Interface]\nPrivateKey = " + privateKey + "\nAddress = 10.9.0.2/32\n");
    const std::vector<std::string> args = {"--json", "--no-ask-password", "create", name, "--no-start",
                                           "--wireguard-config-file", file.path()};
    expectNotInArgv(args, privateKey);
    auto jobsBefore = jobIds();

    auto r = zenithctlAs(automationUser(), args);
    EXPECT_EQ(r.exitCode, 2) << r.out << r.err;
    auto error = lastJson(r.out);
    EXPECT_EQ(error["error_name"], kInvalidArgs) << r.out;
    EXPECT_NE(error.value("error_message", "").find("wireguard_config"), std::string::npos) << r.out;
    // The refusal is the daemon's (zenithctl does not know what nspawn
    // supports): its log has it, for this machine and key.
    bool refusedByDaemon = false;
    std::istringstream log(readFile(sandboxVar("ZENITH_DAEMON_LOG")));
    for (std::string line; std::getline(log, line);)
        refusedByDaemon = refusedByDaemon ||
                          (line.find(name) != std::string::npos && line.find("wireguard_config") != std::string::npos);
    EXPECT_TRUE(refusedByDaemon) << "the daemon never saw wireguard_config for " << name;
    EXPECT_EQ(jobIds(), jobsBefore);
    EXPECT_FALSE(machineOnBus(name));
    expectNowhere(privateKey, r);
}

}  // namespace
}  // namespace zenith::bustest
