#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/config.h"

using namespace zenith::core;
using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace {

constexpr uint64_t MiB = 1ull << 20, GiB = 1ull << 30;

Config parseOk(const std::string& text)
{
    auto r = parseConfig(text, "test.conf");
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : Config{};
}

void expectDefaults(const Config& c)
{
    EXPECT_EQ(c.maxJobs, 4u);
    EXPECT_EQ(c.limits.cpuQuotaMin, 25u);
    EXPECT_EQ(c.limits.cpuQuotaMax, 400u);
    EXPECT_EQ(c.limits.memoryMin, 256 * MiB);
    EXPECT_EQ(c.limits.memoryMax, 8 * GiB);
    EXPECT_EQ(c.limits.diskMin, 5 * GiB);
    EXPECT_EQ(c.limits.diskMax, 100 * GiB);
    EXPECT_EQ(c.debianMirror, "");
    EXPECT_EQ(c.ubuntuMirror, "");
    EXPECT_EQ(c.ubuntuPortsMirror, "");
    EXPECT_EQ(c.bridge, "");
    EXPECT_TRUE(c.pools.empty());
    EXPECT_TRUE(c.proxmox.empty());
}

// The example of DESIGN.md, comments and all.
const std::string kDesignExample = R"(
[Daemon]
MaxJobs=4                      # concurrent jobs; more -> LimitsExceeded
[Limits]                       # accepted ranges for spec values
CPUQuota=25-400
Memory=256M-8G
Disk=5G-100G
[Nspawn]
DebianMirror=                  # empty: the mirror in the host's apt sources
UbuntuMirror=                  # amd64 archive; UbuntuPortsMirror= for arm64
Bridge=                        # default bridge for new machines
[Pool.NAME]                    # address pools; ipv4=auto uses Backend's default pool
Subnet=10.1.10.0/24
Gateway=10.1.10.1
DNS=10.1.10.1
Range=10.1.10.91-10.1.10.250
[Proxmox.NAME]                 # one section per cluster
URL=https://10.1.10.70:8006    # several URL= lines: tried in order
TokenID=root@pam!zenith
TokenSecretFile=/etc/zenith/proxmox-NAME.token   # root-only file
Fingerprint=AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99
Pool=NAME                      # the address pool for this cluster's guests
)";

TEST(CoreConfig, EmptyTextMeansDefaults)
{
    expectDefaults(parseOk(""));
    expectDefaults(parseOk("\n\n# only comments\n; and these\n   \n"));
}

TEST(CoreConfig, ParsesTheDesignExample)
{
    Config c = parseOk(kDesignExample);
    EXPECT_EQ(c.maxJobs, 4u);
    EXPECT_EQ(c.limits.memoryMax, 8 * GiB);
    ASSERT_EQ(c.pools.count("NAME"), 1u);
    const AddressPool& p = c.pools.at("NAME");
    EXPECT_EQ(p.name, "NAME");
    EXPECT_EQ(p.subnet, "10.1.10.0/24");
    EXPECT_EQ(p.gateway, "10.1.10.1");
    EXPECT_EQ(p.dns, std::vector<std::string>{"10.1.10.1"});
    EXPECT_EQ(p.rangeFirst, "10.1.10.91");
    EXPECT_EQ(p.rangeLast, "10.1.10.250");
    ASSERT_EQ(c.proxmox.count("NAME"), 1u);
    const ProxmoxCluster& x = c.proxmox.at("NAME");
    EXPECT_EQ(x.name, "NAME");
    EXPECT_EQ(x.urls, std::vector<std::string>{"https://10.1.10.70:8006"});
    EXPECT_EQ(x.tokenId, "root@pam!zenith");
    EXPECT_EQ(x.tokenSecretFile, "/etc/zenith/proxmox-NAME.token");
    EXPECT_EQ(x.fingerprint.size(), 95u);
    EXPECT_EQ(x.caFile, "");
    EXPECT_EQ(x.pool, "NAME");
}

TEST(CoreConfig, EveryKeyIsRead)
{
    Config c = parseOk(R"(
[Daemon]
MaxJobs = 7
[Limits]
CPUQuota = 50 - 200
Memory=512M-16G
Disk=1073741824-2T
[Nspawn]
DebianMirror=http://deb.example.org/debian
UbuntuMirror=https://archive.example.org/ubuntu/
UbuntuPortsMirror=file:///srv/mirror/ubuntu-ports
Bridge=br-lan
[Pool.lan]
Subnet=192.168.5.0/24
Gateway=192.168.5.1
DNS=192.168.5.1 1.1.1.1
DNS=2606:4700::1111
[Proxmox.lab]
URL=https://pve1.example:8006
URL=http://127.0.0.1:8007/
TokenID=automation@pve!zenith-1
TokenSecretFile=/etc/zenith/lab.token
CAFile=/etc/zenith/lab-ca.pem
Pool=lan
)");
    EXPECT_EQ(c.maxJobs, 7u);
    EXPECT_EQ(c.limits.cpuQuotaMin, 50u);
    EXPECT_EQ(c.limits.cpuQuotaMax, 200u);
    EXPECT_EQ(c.limits.memoryMin, 512 * MiB);
    EXPECT_EQ(c.limits.memoryMax, 16 * GiB);
    EXPECT_EQ(c.limits.diskMin, 1 * GiB);
    EXPECT_EQ(c.limits.diskMax, 2048 * GiB);
    EXPECT_EQ(c.debianMirror, "http://deb.example.org/debian");
    EXPECT_EQ(c.ubuntuMirror, "https://archive.example.org/ubuntu/");
    EXPECT_EQ(c.ubuntuPortsMirror, "file:///srv/mirror/ubuntu-ports");
    EXPECT_EQ(c.bridge, "br-lan");
    const auto& p = c.pools.at("lan");
    EXPECT_EQ(p.dns, (std::vector<std::string>{"192.168.5.1", "1.1.1.1", "2606:4700::1111"}));
    // No Range=: every host address of the subnet.
    EXPECT_EQ(p.rangeFirst, "192.168.5.1");
    EXPECT_EQ(p.rangeLast, "192.168.5.254");
    const auto& x = c.proxmox.at("lab");
    EXPECT_EQ(x.urls, (std::vector<std::string>{"https://pve1.example:8006", "http://127.0.0.1:8007/"}));
    EXPECT_EQ(x.tokenId, "automation@pve!zenith-1");
    EXPECT_EQ(x.caFile, "/etc/zenith/lab-ca.pem");
    EXPECT_EQ(x.fingerprint, "");
}

TEST(CoreConfig, SyntaxDetails)
{
    Config c = parseOk("; comment\r\n# comment\r\n\r\n  [Daemon]  \r\n\tMaxJobs\t=\t9\t\r\n");
    EXPECT_EQ(c.maxJobs, 9u);
    // Later assignments win; an empty DNS= or URL= resets the list.
    c = parseOk("[Daemon]\nMaxJobs=2\nMaxJobs=3\n[Pool.a]\nSubnet=10.0.0.0/8\nDNS=1.1.1.1\nDNS=\nDNS=8.8.8.8\n");
    EXPECT_EQ(c.maxJobs, 3u);
    EXPECT_EQ(c.pools.at("a").dns, std::vector<std::string>{"8.8.8.8"});
    // A section may appear twice; its keys add up.
    c = parseOk("[Pool.a]\nSubnet=10.0.0.0/8\n[Daemon]\nMaxJobs=1\n[Pool.a]\nGateway=10.0.0.1\n");
    EXPECT_EQ(c.pools.at("a").subnet, "10.0.0.0/8");
    EXPECT_EQ(c.pools.at("a").gateway, "10.0.0.1");
    // '#' inside a value (not after whitespace) is kept.
    c = parseOk("[Nspawn]\nDebianMirror=http://m.example/debian#frag\n");
    EXPECT_EQ(c.debianMirror, "http://m.example/debian#frag");
}

TEST(CoreConfig, BoundsOfNumbersAreAccepted)
{
    EXPECT_EQ(parseOk("[Daemon]\nMaxJobs=1\n").maxJobs, 1u);
    EXPECT_EQ(parseOk("[Daemon]\nMaxJobs=1024\n").maxJobs, 1024u);
    Config c = parseOk("[Limits]\nCPUQuota=1-1\nMemory=1-1\nDisk=1K-1K\n");
    EXPECT_EQ(c.limits.cpuQuotaMax, 1u);
    EXPECT_EQ(c.limits.memoryMax, 1u);
    EXPECT_EQ(c.limits.diskMin, 1024u);
}

struct BadCase {
    std::string text;
    std::string message;  // expected prefix of the error
};

TEST(CoreConfig, RetentionStopTimeoutBridgesAndHostPorts)
{
    Config d = parseOk("");
    EXPECT_EQ(d.retention.auditMaxEntries, 100000u);
    EXPECT_EQ(d.retention.jobsMaxAgeSec, 90u * 86400);
    EXPECT_FALSE(d.hostPortsSet);
    Config c = parseOk("[Daemon]\nAuditMaxEntries=5000\nAuditMaxAge=30d\nJobHistoryMaxEntries=50\n"
                       "JobHistoryMaxAge=1w 2d\nStopTimeout=2min\n"
                       "[Nspawn]\nBridge=br0\nBridges=br1 br2\nBridges=br3\nHostPorts=80 8000-8999\n");
    EXPECT_EQ(c.retention.auditMaxEntries, 5000u);
    EXPECT_EQ(c.retention.auditMaxAgeSec, 30u * 86400);
    EXPECT_EQ(c.retention.jobsMaxEntries, 50u);
    EXPECT_EQ(c.retention.jobsMaxAgeSec, 9u * 86400);
    EXPECT_EQ(c.stopTimeoutSec, 120u);
    EXPECT_EQ(c.bridges, (std::vector<std::string>{"br1", "br2", "br3"}));
    EXPECT_TRUE(c.hostPortsSet);
    EXPECT_EQ(c.hostPorts, (std::vector<zenith::core::PortRange>{{80, 80}, {8000, 8999}}));
    // An empty assignment resets, as in systemd's files.
    EXPECT_EQ(parseOk("[Nspawn]\nPool=lab\n[Pool.lab]\nSubnet=10.0.0.0/24\n").nspawnPool, "lab");
    Config r = parseOk("[Nspawn]\nBridges=br1\nBridges=\nHostPorts=80\nHostPorts=\n");
    EXPECT_TRUE(r.bridges.empty());
    EXPECT_FALSE(r.hostPortsSet);
    for (const char* bad : {"[Daemon]\nAuditMaxEntries=49\n", "[Daemon]\nAuditMaxAge=10min\n",
                            "[Daemon]\nJobHistoryMaxAge=forever\n", "[Daemon]\nStopTimeout=0\n",
                            "[Daemon]\nStopTimeout=2h\n", "[Nspawn]\nBridges=br0 a/b\n",
                            "[Nspawn]\nHostPorts=0\n", "[Nspawn]\nHostPorts=9-8\n", "[Nspawn]\nHostPorts=65536\n",
                            "[Nspawn]\nHostPorts=80,443\n"})
        EXPECT_FALSE(parseConfig(bad, "t.conf")) << bad;
}

TEST(CoreConfig, EveryErrorNamesFileLineSectionAndKey)
{
    const std::vector<BadCase> cases{
        {"[Bogus]\n", "test.conf:1: [Bogus] unknown section"},
        {"[Pool.]\n", "test.conf:1: [Pool.] unknown section"},
        {"[Pool.a b]\n", "test.conf:1: [Pool.a b] unknown section"},
        {"[Daemon\n", "test.conf:1: '[Daemon': section header without closing ']'"},
        {"MaxJobs=4\n", "test.conf:1: MaxJobs=...: assignment outside any section"},
        {"[Daemon]\nMaxJobs\n", "test.conf:2: [Daemon] 'MaxJobs': not a Key=Value line"},
        {"[Daemon]\n=4\n", "test.conf:2: [Daemon] '4': empty key"},
        {"[Daemon]\nMaxjobs=4\n", "test.conf:2: [Daemon] Maxjobs=4: unknown key (known in this section: MaxJobs, MaxQueuedJobs, AuditMaxEntries, AuditMaxAge, "
         "JobHistoryMaxEntries, JobHistoryMaxAge, StopTimeout)"},
        {"[Daemon]\nMaxJobs=0\n", "test.conf:2: [Daemon] MaxJobs=0: expected a whole number 1-1024"},
        {"[Daemon]\nMaxJobs=1025\n", "test.conf:2: [Daemon] MaxJobs=1025: expected"},
        {"[Daemon]\nMaxJobs=-1\n", "test.conf:2: [Daemon] MaxJobs=-1: expected"},
        {"[Daemon]\nMaxJobs=four\n", "test.conf:2: [Daemon] MaxJobs=four: expected"},
        {"[Daemon]\nMaxJobs=4x\n", "test.conf:2: [Daemon] MaxJobs=4x: expected"},
        {"[Daemon]\nMaxJobs=\x01\n", "test.conf:2: [Daemon] MaxJobs=\\x01: control characters"},
        {"[Limits]\nCPU=1-2\n", "test.conf:2: [Limits] CPU=1-2: unknown key"},
        // Leases are per pool: pools sharing addresses are refused.
        {"[Pool.a]\nSubnet=10.1.0.0/16\n[Pool.b]\nSubnet=10.1.10.0/24\n",
         "test.conf:4: [Pool.b] Subnet=10.1.10.0/24: overlaps Subnet=10.1.0.0/16 of [Pool.a]"},
        {"[Limits]\nCPUQuota=400-25\n", "test.conf:2: [Limits] CPUQuota=400-25: expected 1 <= MIN <= MAX"},
        {"[Limits]\nCPUQuota=0-25\n", "test.conf:2: [Limits] CPUQuota=0-25: expected 1 <= MIN <= MAX"},
        {"[Limits]\nCPUQuota=25\n", "test.conf:2: [Limits] CPUQuota=25: expected MIN-MAX"},
        {"[Limits]\nMemory=8G-256M\n", "test.conf:2: [Limits] Memory=8G-256M: expected 1 <= MIN <= MAX"},
        {"[Limits]\nMemory=256X-8G\n", "test.conf:2: [Limits] Memory=256X-8G: expected MIN-MAX sizes"},
        {"[Limits]\nMemory=99999999999T-1\n", "test.conf:2: [Limits] Memory=99999999999T-1: expected MIN-MAX"},
        {"[Limits]\nDisk=5G\n", "test.conf:2: [Limits] Disk=5G: expected MIN-MAX sizes"},
        {"[Limits]\nDisk=0-5G\n", "test.conf:2: [Limits] Disk=0-5G: expected 1 <= MIN"},
        {"[Nspawn]\nDebianMirror=ftp://x/debian\n", "test.conf:2: [Nspawn] DebianMirror=ftp://x/debian: expected"},
        // Credentials are refused, and the message does not repeat them.
        {"[Nspawn]\nDebianMirror=http://joe:s3cret@m.example/debian\n",
         "test.conf:2: [Nspawn] DebianMirror=(not shown): a mirror URL with credentials"},
        {"[Nspawn]\nUbuntuMirror=archive.ubuntu.com\n", "test.conf:2: [Nspawn] UbuntuMirror=archive.ubuntu.com:"},
        {"[Nspawn]\nUbuntuPortsMirror=http://\n", "test.conf:2: [Nspawn] UbuntuPortsMirror=http://:"},
        {"[Nspawn]\nBridge=br-with-long-name\n", "test.conf:2: [Nspawn] Bridge=br-with-long-name: expected"},
        {"[Nspawn]\nMirror=x\n", "test.conf:2: [Nspawn] Mirror=x: unknown key"},
        {"[Pool.lab]\nSubnet=10.0.0.0/24\n[Nspawn]\nBridge=br0\nPool=lan\n",
         "test.conf:5: [Nspawn] Pool=lan: no section [Pool.lan]"},
        {"[Nspawn]\nPool=a b\n", "test.conf:2: [Nspawn] Pool=a b: expected empty or the NAME"},
        {"[Pool.a]\nSubnet=10.0.0.1/24\n", "test.conf:2: [Pool.a] Subnet=10.0.0.1/24: host bits are set; the network is 10.0.0.0/24"},
        {"[Pool.a]\nSubnet=10.0.0.0/31\n", "test.conf:2: [Pool.a] Subnet=10.0.0.0/31: expected a.b.c.d/LEN"},
        {"[Pool.a]\nSubnet=10.0.0.0\n", "test.conf:2: [Pool.a] Subnet=10.0.0.0: expected"},
        {"[Pool.a]\nGateway=10.0.0\n", "test.conf:2: [Pool.a] Gateway=10.0.0: expected an IPv4 address"},
        {"[Pool.a]\nDNS=1.1.1.1 dns.google\n", "test.conf:2: [Pool.a] DNS=1.1.1.1 dns.google: 'dns.google' is not"},
        {"[Pool.a]\nRange=10.0.0.9\n", "test.conf:2: [Pool.a] Range=10.0.0.9: expected FIRST-LAST"},
        {"[Pool.a]\nRange=10.0.0.9-10.0.0.2\n", "test.conf:2: [Pool.a] Range=10.0.0.9-10.0.0.2: FIRST is after LAST"},
        {"[Pool.a]\nSize=5\n", "test.conf:2: [Pool.a] Size=5: unknown key"},
        {"\n[Pool.a]\nGateway=10.0.0.1\n", "test.conf:2: [Pool.a] Subnet=: missing"},
        {"[Pool.a]\nSubnet=10.0.0.0/24\n\nGateway=10.0.1.1\n",
         "test.conf:4: [Pool.a] Gateway=10.0.1.1: not a host address of Subnet=10.0.0.0/24"},
        {"[Pool.a]\nSubnet=10.0.0.0/24\nGateway=10.0.0.0\n", "test.conf:3: [Pool.a] Gateway=10.0.0.0: not a host"},
        {"[Pool.a]\nRange=10.0.0.5-10.0.1.5\nSubnet=10.0.0.0/24\n",
         "test.conf:2: [Pool.a] Range=10.0.0.5-10.0.1.5: not inside the host addresses of Subnet=10.0.0.0/24"},
        {"[Pool.a]\nSubnet=10.0.0.0/24\nRange=10.0.0.0-10.0.0.5\n", "test.conf:3: [Pool.a] Range=10.0.0.0-10.0.0.5: not inside"},
        {"[Proxmox.x]\nURL=ftp://pve\n", "test.conf:2: [Proxmox.x] URL=ftp://pve: expected an http:// or https:// URL"},
        {"[Proxmox.x]\nURL=https://root:pw@pve:8006\n", "test.conf:2: [Proxmox.x] URL=(not shown): credentials"},
        {"[Proxmox.x]\nURL=file:///tmp/pve\n", "test.conf:2: [Proxmox.x] URL=file:///tmp/pve: expected"},
        {"[Proxmox.x]\nTokenID=root\n", "test.conf:2: [Proxmox.x] TokenID=root: expected USER@REALM!TOKENNAME"},
        {"[Proxmox.x]\nTokenID=root@pam!\n", "test.conf:2: [Proxmox.x] TokenID=root@pam!: expected"},
        {"[Proxmox.x]\nTokenSecretFile=proxmox.token\n", "test.conf:2: [Proxmox.x] TokenSecretFile=proxmox.token: expected an absolute path"},
        {"[Proxmox.x]\nCAFile=ca.pem\n", "test.conf:2: [Proxmox.x] CAFile=ca.pem: expected an absolute path"},
        {"[Proxmox.x]\nFingerprint=AA:BB\n", "test.conf:2: [Proxmox.x] Fingerprint=AA:BB: expected a SHA-256 fingerprint"},
        {"[Proxmox.x]\nPool=a/b\n", "test.conf:2: [Proxmox.x] Pool=a/b: expected the NAME"},
        {"[Proxmox.x]\nUser=root\n", "test.conf:2: [Proxmox.x] User=root: unknown key"},
        {"[Proxmox.x]\nTokenID=root@pam!z\nTokenSecretFile=/t\n", "test.conf:1: [Proxmox.x] URL=: missing"},
        {"[Proxmox.x]\nURL=https://pve\nTokenSecretFile=/t\n", "test.conf:1: [Proxmox.x] TokenID=: missing"},
        {"[Proxmox.x]\nURL=https://pve\nTokenID=root@pam!z\n", "test.conf:1: [Proxmox.x] TokenSecretFile=: missing"},
        {"[Proxmox.x]\nURL=https://pve\nURL=\nTokenID=root@pam!z\nTokenSecretFile=/t\n", "test.conf:1: [Proxmox.x] URL=: missing"},
        {"[Proxmox.x]\nURL=https://pve\nTokenID=root@pam!z\nTokenSecretFile=/t\nPool=nope\n",
         "test.conf:5: [Proxmox.x] Pool=nope: no section [Pool.nope]"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        auto r = parseConfig(c.text, "test.conf");
        ASSERT_FALSE(r.has_value());
        EXPECT_EQ(r.error().code, ErrorCode::InvalidArgs);
        EXPECT_THAT(r.error().message, StartsWith(c.message));
    }
}

// A pool's Subnet=, Gateway= and Range= take one value per family: the
// address tells which, so a dual-stack pool is one section.
TEST(CoreConfig, PoolsHaveAnIPv4PartAnIPv6PartOrBoth)
{
    Config c = parseOk(R"(
[Pool.dual]
Subnet=10.1.10.0/24
Subnet=2001:db8:10::/64
Gateway=10.1.10.1
Gateway=2001:db8:10::1
Range=10.1.10.91-10.1.10.250
Range=2001:db8:10::100 - 2001:db8:10::1ff
DNS=10.1.10.1 2001:db8:10::1
[Pool.v6]
Subnet=fd00:77::/64
[Pool.tiny6]
Subnet=fd00:78::/124
)");
    const auto& d = c.pools.at("dual");
    EXPECT_EQ(d.subnet, "10.1.10.0/24");
    EXPECT_EQ(d.gateway, "10.1.10.1");
    EXPECT_EQ(d.rangeFirst, "10.1.10.91");
    EXPECT_EQ(d.subnet6, "2001:db8:10::/64");
    EXPECT_EQ(d.gateway6, "2001:db8:10::1");
    EXPECT_EQ(d.range6First, "2001:db8:10::100");
    EXPECT_EQ(d.range6Last, "2001:db8:10::1ff");
    EXPECT_EQ(d.dns, (std::vector<std::string>{"10.1.10.1", "2001:db8:10::1"}));
    const auto& v6 = c.pools.at("v6");
    EXPECT_EQ(v6.subnet, "");
    // No Range=: the hosts less RFC 2526's 128 subnet anycast addresses.
    EXPECT_EQ(v6.range6First, "fd00:77::1");
    EXPECT_EQ(v6.range6Last, "fd00:77::ffff:ffff:ffff:ff7f");
    EXPECT_EQ(c.pools.at("tiny6").range6Last, "fd00:78::f");

    const std::vector<BadCase> cases{
        {"[Pool.a]\nSubnet=2001:db8::1/64\n", "test.conf:2: [Pool.a] Subnet=2001:db8::1/64: host bits are set; the network is 2001:db8::/64"},
        {"[Pool.a]\nSubnet=2001:db8::/127\n", "test.conf:2: [Pool.a] Subnet=2001:db8::/127: expected ADDRESS/LEN with LEN 1-126"},
        {"[Pool.a]\nGateway=2001:db8::zz\n", "test.conf:2: [Pool.a] Gateway=2001:db8::zz: expected an IPv6 address"},
        {"[Pool.a]\nSubnet=2001:db8::/64\nGateway=2001:db9::1\n",
         "test.conf:3: [Pool.a] Gateway=2001:db9::1: not a host address of Subnet=2001:db8::/64"},
        {"[Pool.a]\nSubnet=2001:db8::/64\nRange=2001:db8::-2001:db8::9\n",
         "test.conf:3: [Pool.a] Range=2001:db8::-2001:db8::9: not inside the host addresses"},
        {"[Pool.a]\nSubnet=2001:db8::/64\nRange=2001:db8::9-2001:db8::2\n",
         "test.conf:3: [Pool.a] Range=2001:db8::9-2001:db8::2: FIRST is after LAST"},
        {"[Pool.a]\nSubnet=10.0.0.0/24\nGateway=2001:db8::1\n",
         "test.conf:3: [Pool.a] Gateway=2001:db8::1: an IPv6 address needs an IPv6 Subnet= in the pool"},
        {"[Pool.a]\nSubnet=2001:db8::/64\nGateway=10.0.0.1\n",
         "test.conf:3: [Pool.a] Gateway=10.0.0.1: an IPv4 address needs an IPv4 Subnet= in the pool"},
        {"[Pool.a]\nSubnet=10.1.0.0/16\nSubnet=2001:db8::/48\n[Pool.b]\nSubnet=10.2.0.0/16\nSubnet=2001:db8:0:1::/64\n",
         "test.conf:6: [Pool.b] Subnet=2001:db8:0:1::/64: overlaps Subnet=2001:db8::/48 of [Pool.a]"},
    };
    for (const auto& [text, expected] : cases) {
        auto r = parseConfig(text, "test.conf");
        ASSERT_FALSE(r) << text;
        EXPECT_EQ(r.error().message.substr(0, expected.size()), expected) << text;
    }
}

TEST(CoreConfig, PoolNatIsOptInAndForIpv4)
{
    Config c = parseOk("[Pool.lab]\nSubnet=10.77.0.0/24\nNAT=yes\n[Pool.public]\nSubnet=192.0.2.0/24\n");
    EXPECT_TRUE(c.pools.at("lab").nat);
    EXPECT_FALSE(c.pools.at("public").nat);  // public addresses stay theirs
    EXPECT_FALSE(parseOk("[Pool.lab]\nSubnet=10.77.0.0/24\nNAT=yes\nNAT=no\n").pools.at("lab").nat);

    const std::vector<BadCase> cases{
        {"[Pool.a]\nSubnet=10.0.0.0/24\nNAT=1\n", "test.conf:3: [Pool.a] NAT=1: expected yes or no"},
        {"[Pool.a]\nSubnet=fd00::/64\nNAT=yes\n",
         "test.conf:3: [Pool.a] NAT=yes: needs an IPv4 Subnet= (NAT is for IPv4"},
    };
    for (const auto& [text, expected] : cases) {
        auto r = parseConfig(text, "test.conf");
        ASSERT_FALSE(r) << text;
        EXPECT_EQ(r.error().message.substr(0, expected.size()), expected) << r.error().message;
    }
}

TEST(CoreConfig, ProxmoxPoolMayBeDefinedLater)
{
    Config c = parseOk("[Proxmox.x]\nURL=https://pve\nTokenID=root@pam!z\nTokenSecretFile=/t\nPool=later\n"
                       "[Pool.later]\nSubnet=10.9.0.0/16\n");
    EXPECT_EQ(c.proxmox.at("x").pool, "later");
    EXPECT_EQ(c.pools.at("later").rangeLast, "10.9.255.254");
}

class TempDir {
public:
    TempDir()
    {
        char tmpl[] = "/tmp/zenith-config-test-XXXXXX";
        path_ = ::mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(path_); }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

TEST(CoreConfig, LoadMissingFileGivesDefaults)
{
    TempDir dir;
    auto r = loadConfig(dir.file("absent.conf"));
    ASSERT_TRUE(r) << r.error().message;
    expectDefaults(*r);
}

TEST(CoreConfig, LoadReadsTheFileAndNamesItInErrors)
{
    TempDir dir;
    const std::string path = dir.file("provisioner.conf");
    std::ofstream(path) << "[Daemon]\nMaxJobs=6\n";
    auto r = loadConfig(path);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->maxJobs, 6u);

    std::ofstream(path) << "[Daemon]\n\n\nMaxJobs=0\n";
    r = loadConfig(path);
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message, StartsWith(path + ":4: [Daemon] MaxJobs=0: "));
}

TEST(CoreConfig, LoadRefusesWhatIsNotAFile)
{
    TempDir dir;
    std::filesystem::create_directory(dir.file("conf.d"));
    auto r = loadConfig(dir.file("conf.d"));
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message, HasSubstr("not a regular file"));
}

}  // namespace
