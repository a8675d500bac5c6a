// The libcurl transport against a real TLS server on loopback (openssl
// s_server with a certificate made for the test): a pinned fingerprint or
// a CA file is accepted, anything else is refused in the handshake, and
// verification is never off.
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "drivers/process.h"
#include "drivers/proxmox/client/curl_transport.h"

namespace zenith::drivers::proxmox {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

uint16_t freeLoopbackPort()
{
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

bool accepts(uint16_t port)
{
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

std::string run(const Argv& argv)
{
    std::string out;
    RunOptions o;
    o.argv = argv;
    o.onStdout = [&](std::string_view l) { out += std::string(l) + "\n"; };
    auto r = runProcess(o);
    EXPECT_TRUE(r && r->success()) << renderArgv(argv);
    return out;
}

class CurlTransportTest : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        char tmpl[] = "/tmp/zenith-tls-test-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir = tmpl;
        cert = dir + "/cert.pem";
        run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
             dir + "/key.pem", "-out", cert, "-days", "1", "-subj", "/CN=pve-test", "-addext",
             "subjectAltName=IP:127.0.0.1"});
        // "sha256 Fingerprint=AB:CD:..."
        auto out = run({"openssl", "x509", "-in", cert, "-noout", "-fingerprint", "-sha256"});
        fingerprint = out.substr(out.find('=') + 1);
        fingerprint.erase(fingerprint.find_last_not_of("\n") + 1);
        port = freeLoopbackPort();
        SpawnOptions so;
        so.argv = {"openssl", "s_server", "-quiet", "-www", "-accept", "127.0.0.1:" + std::to_string(port), "-cert",
                   cert, "-key", dir + "/key.pem"};
        auto pid = spawnProcess(so);
        ASSERT_TRUE(pid) << pid.error().message;
        server = *pid;
        for (int i = 0; i < 500 && !accepts(port); ++i)
            std::this_thread::sleep_for(10ms);
        ASSERT_TRUE(accepts(port)) << "openssl s_server did not come up";
    }
    static void TearDownTestSuite()
    {
        if (server > 0) {
            ::kill(server, SIGTERM);
            ::waitpid(server, nullptr, 0);
        }
        fs::remove_all(dir);
    }
    static HttpRequest get()
    {
        HttpRequest r;
        r.method = "GET";
        r.url = "https://127.0.0.1:" + std::to_string(port) + "/api2/json/version";
        r.headers = {{"Authorization", "PVEAPIToken=a@pve!t=secret"}};
        r.timeout = 10s;
        return r;
    }

    static inline std::string dir, cert, fingerprint;
    static inline uint16_t port = 0;
    static inline pid_t server = -1;
};

TEST_F(CurlTransportTest, ThePinnedFingerprintIsAccepted)
{
    ASSERT_EQ(fingerprint.size(), 95u) << fingerprint;  // 32 bytes as AB:CD:...
    CurlTransport t({fingerprint, ""});
    auto r = t.send(get());
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->status, 200);
}

TEST_F(CurlTransportTest, AnyOtherCertificateIsRefusedInTheHandshake)
{
    std::string other = fingerprint;
    other[0] = other[0] == 'A' ? 'B' : 'A';
    CurlTransport t({other, ""});
    auto r = t.send(get());
    ASSERT_FALSE(r) << "a wrong pin was accepted";
    EXPECT_NE(r.error().find("SSL"), std::string::npos) << r.error();
}

TEST_F(CurlTransportTest, ACaFileVerifiesChainAndAddress)
{
    CurlTransport t({"", cert});
    auto r = t.send(get());
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->status, 200);
}

TEST_F(CurlTransportTest, WithoutPinOrCaFileTheSystemsCasDecideAndRefuse)
{
    CurlTransport t({"", ""});
    auto r = t.send(get());
    ASSERT_FALSE(r) << "verification was off";
}

TEST_F(CurlTransportTest, OnlyHttpsIsSpokenAndAMalformedPinSendsNothing)
{
    CurlTransport t({fingerprint, ""});
    auto req = get();
    req.url = "http://127.0.0.1:" + std::to_string(port) + "/api2/json/version";
    EXPECT_FALSE(t.send(req));
    CurlTransport bad({"AB:CD", ""});
    auto r = bad.send(get());
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("32 colon-separated hex bytes"), std::string::npos) << r.error();
}

}  // namespace
}  // namespace zenith::drivers::proxmox
