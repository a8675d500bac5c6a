#include "private_sshd.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

namespace zenith::bustest {

namespace fs = std::filesystem;

namespace {

std::string readFile(const std::string& path)
{
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void writeFile(const std::string& path, const std::string& text, fs::perms mode)
{
    {
        std::ofstream out(path, std::ios::trunc);
        out << text;
        if (!out) {
            throw std::runtime_error("cannot write " + path);
        }
    }
    fs::permissions(path, mode);
}

void chownTo(const std::string& path, const TestUser& user)
{
    if (::chown(path.c_str(), user.uid, user.gid) != 0) {
        throw std::runtime_error(fmt::format("chown {}: {}", path, std::strerror(errno)));
    }
}

void run(const std::vector<std::string>& argv, const TestUser& as = rootUser())
{
    auto r = runProgram(argv, as, std::chrono::seconds(30));
    if (r.exitCode != 0) {
        throw std::runtime_error(fmt::format("{} failed ({}): {}{}", argv[0], r.exitCode, r.out, r.err));
    }
}

sockaddr_in loopback(uint16_t port)
{
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

// A port nothing listens on now; the kernel picks it from the ephemeral range.
uint16_t freeLoopbackPort()
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    auto address = loopback(0);
    socklen_t length = sizeof address;
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        if (fd >= 0) {
            close(fd);
        }
        throw std::runtime_error(std::string("no free loopback port: ") + std::strerror(errno));
    }
    close(fd);
    return ntohs(address.sin_port);
}

bool accepts(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    auto address = loopback(port);
    bool ok = fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    if (fd >= 0) {
        close(fd);
    }
    return ok;
}

}  // namespace

std::string homeOf(const TestUser& user)
{
    return sandboxVar("ZENITH_SANDBOX") + "/home/" + user.name;
}

PrivateSshd::PrivateSshd() : dir_(sandboxVar("ZENITH_SANDBOX") + "/sshd")
{
    fs::remove_all(dir_);
    fs::create_directories(dir_ + "/authorized_keys");
    fs::permissions(dir_, fs::perms(0755));
    fs::permissions(dir_ + "/authorized_keys", fs::perms(0755));
    port_ = freeLoopbackPort();

    const std::string hostKey = dir_ + "/host_ed25519_key";
    run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "zenith-test-host", "-f", hostKey});
    const std::string hostPublicKey = readFile(hostKey + ".pub");
    prepareClient(automationUser(), hostPublicKey);
    prepareClient(outsiderUser(), hostPublicKey);

    // No PAM (it would want the host's login stack), keys only, only the
    // test users; their sessions get the sandbox's bus, so the
    // systemd-stdio-bridge they run reaches the daemon under test.
    const std::string config = dir_ + "/sshd_config";
    writeFile(config,
              fmt::format("ListenAddress 127.0.0.1:{port}\n"
                          "HostKey {hostKey}\n"
                          "PidFile none\n"
                          "UsePAM no\n"
                          "StrictModes no\n"
                          "AuthorizedKeysFile {dir}/authorized_keys/%u\n"
                          "PubkeyAuthentication yes\n"
                          "PasswordAuthentication no\n"
                          "KbdInteractiveAuthentication no\n"
                          "PermitRootLogin no\n"
                          "AllowUsers {auto} {outsider}\n"
                          "X11Forwarding no\n"
                          "AllowTcpForwarding no\n"
                          "PrintMotd no\n"
                          "SetEnv DBUS_SYSTEM_BUS_ADDRESS={bus}\n",
                          fmt::arg("port", port_), fmt::arg("hostKey", hostKey), fmt::arg("dir", dir_),
                          fmt::arg("auto", automationUser().name), fmt::arg("outsider", outsiderUser().name),
                          fmt::arg("bus", sandboxVar("DBUS_SYSTEM_BUS_ADDRESS"))),
              fs::perms(0644));
    run({"/usr/sbin/sshd", "-t", "-f", config});
    // Absolute path: sshd re-executes itself for every connection.
    sshd_ = std::make_unique<BackgroundProgram>(
        std::vector<std::string>{"/usr/sbin/sshd", "-D", "-f", config, "-E", dir_ + "/sshd.log"}, rootUser());
    for (int i = 0; i < 100; ++i) {
        if (accepts(port_)) {
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    sshd_.reset();
    throw std::runtime_error(fmt::format("sshd did not listen on 127.0.0.1:{} within 10 s: {}", port_, logText()));
}

PrivateSshd::~PrivateSshd() = default;

std::string PrivateSshd::logText() const
{
    return readFile(dir_ + "/sshd.log");
}

void PrivateSshd::prepareClient(const TestUser& user, const std::string& hostPublicKey)
{
    const std::string ssh = homeOf(user) + "/.ssh";
    fs::remove_all(ssh);
    fs::create_directories(ssh);
    fs::permissions(ssh, fs::perms(0700));
    chownTo(ssh, user);
    // The user makes its own key, so the files are its own, as ssh wants.
    run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", user.name, "-f", ssh + "/id_ed25519"}, user);
    writeFile(dir_ + "/authorized_keys/" + user.name, readFile(ssh + "/id_ed25519.pub"), fs::perms(0644));

    // The host key pinned: StrictHostKeyChecking would refuse any other.
    writeFile(ssh + "/known_hosts", fmt::format("[127.0.0.1]:{} {}", port_, hostPublicKey), fs::perms(0644));
    writeFile(ssh + "/config",
              fmt::format("Host {alias}\n"
                          "    HostName 127.0.0.1\n"
                          "    Port {port}\n"
                          "    IdentityFile {ssh}/id_ed25519\n"
                          "    IdentitiesOnly yes\n"
                          "    UserKnownHostsFile {ssh}/known_hosts\n"
                          "    StrictHostKeyChecking yes\n"
                          "    BatchMode yes\n"
                          "    LogLevel ERROR\n",
                          fmt::arg("alias", kHostAlias), fmt::arg("port", port_), fmt::arg("ssh", ssh)),
              fs::perms(0600));
    chownTo(ssh + "/known_hosts", user);
    chownTo(ssh + "/config", user);
}

}  // namespace zenith::bustest
