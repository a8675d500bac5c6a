#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "core/spec.h"
#include "drivers/proxmox/spec_keys.h"

using namespace zenith::core;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

constexpr uint64_t MiB = 1ull << 20, GiB = 1ull << 30;

const std::string kEd25519 =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOc1sg1JVSFy9QBwuLlBgsH4szDMx+kc/VPml9o96dRh alice@example";
const std::string kRsa =
    "ssh-rsa "
    "AAAAB3NzaC1yc2EAAAADAQABAAAAgQDX2FArkBxdNZPgPBbyyw9Pi56MIgV/7CZ1mqGJ6akpUAkurk7HIh//1108Jv97Bue/w+"
    "h92RC7sOvOmVunvy7knC6gAyuav6X7mWee14qowC1NZPCnGdq6JrupOK4e9cDlDqxdgFufXQu29yosG7yAfSf5fnPzrOVEWFcGCai1Pw==";
const std::string kEcdsa =
    "ecdsa-sha2-nistp256 "
    "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBPI87vJ2EdCbEJ9ChekUxk7TCn28LS1u+"
    "44HQiWIsK5g95CfEl7eCMvPV6L9ZTElzW2ighNwC7F1vd6f1pOlQe8= ops";

SpecValue S(std::string v) { return {std::move(v), "s"}; }
SpecValue U(uint32_t v) { return {v, "u"}; }
SpecValue T(uint64_t v) { return {v, "t"}; }
SpecValue B(bool v) { return {v, "b"}; }
SpecValue I(int32_t v) { return {v, "i"}; }
SpecValue AS(std::vector<std::string> v) { return {std::move(v), "as"}; }
SpecValue P(std::vector<PortForward> v) { return {std::move(v), "a(sqq)"}; }
SpecValue M(std::map<std::string, std::string> v) { return {std::move(v), "a{sv}"}; }

// The contract's keys are the common ones and those the Proxmox backends
// register (node, vmid, iso, ...): parsed here as a Proxmox driver has them.
const std::vector<SpecKeyRule>& proxmoxKeys()
{
    static const std::vector<SpecKeyRule> rules = [] {
        std::vector<SpecKeyRule> all;
        std::set<std::string_view> seen;
        for (auto set : {zenith::drivers::proxmox::qemuSpecKeys(), zenith::drivers::proxmox::lxcSpecKeys()})
            for (const auto& r : set)
                if (seen.insert(r.key).second)
                    all.push_back(r);
        return all;
    }();
    return rules;
}

Result<MachineSpec> parseAll(const SpecMap& raw, const Limits& limits = {})
{
    return parseSpec(raw, limits, proxmoxKeys(), "proxmox");
}

Result<MachineSpec> one(const std::string& key, SpecValue v, const Limits& limits = {})
{
    return parseAll(SpecMap{{key, std::move(v)}}, limits);
}

// Asserts an InvalidArgs whose message contains every fragment.
void expectInvalid(const Result<MachineSpec>& r, std::vector<std::string> fragments)
{
    ASSERT_FALSE(r.has_value()) << "accepted, expected an error containing " << fragments.front();
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgs);
    for (const auto& f : fragments)
        EXPECT_THAT(r.error().message, HasSubstr(f));
}

// ---- every key: right type accepted, wrong type rejected naming key and types --

struct KeyCase {
    std::string key;
    SpecValue good;
    SpecValue wrong;
    std::string expectedSig;
    std::string wrongSig;
};

std::vector<KeyCase> allKeys()
{
    return {
        {"distro", S("debian"), U(1), "s", "u"},
        {"release", S("bookworm"), B(true), "s", "b"},
        {"arch", S("amd64"), AS({"amd64"}), "s", "as"},
        {"template", S("base-web"), T(1), "s", "t"},
        {"password", S("s3cret pass"), U(5), "s", "u"},
        {"password_hash", S("$y$j9T$abcdefgh$0123456789abcdef"), B(false), "s", "b"},
        {"ssh", B(true), S("yes"), "b", "s"},
        {"ssh_authorized_keys", AS({kEd25519}), S(kEd25519), "as", "s"},
        {"cpu_quota", U(100), T(100), "u", "t"},
        {"memory_max", T(GiB), U(1024), "t", "u"},
        {"disk_max", T(10 * GiB), I(10), "t", "i"},
        {"swap_max", T(512 * MiB), U(512), "t", "u"},
        {"cores", U(2), I(2), "u", "i"},
        {"bridge", S("br0"), U(0), "s", "u"},
        {"ipv4", S("10.1.10.91/24"), AS({"10.1.10.91/24"}), "s", "as"},
        {"pool", S("cloudpods"), U(1), "s", "u"},
        {"gateway", S("10.1.10.1"), U(1), "s", "u"},
        {"dns", AS({"10.1.10.1"}), S("10.1.10.1"), "as", "s"},
        {"ipv6_mode", S("native"), B(true), "s", "b"},
        {"ipv6", S("2001:db8::5/64"), U(6), "s", "u"},
        {"gateway6", S("2001:db8::1"), U(6), "s", "u"},
        {"tunnel", M({{"remote", "192.0.2.1"}}), S("192.0.2.1"), "a{sv}", "s"},
        {"wireguard_config", S("[Interface]\nPrivateKey = x\n"), AS({"[Interface]"}), "s", "as"},
        {"ports", P({{"tcp", 8080, 80}}), AS({"tcp"}), "a(sqq)", "as"},
        {"node", S("pve1"), U(1), "s", "u"},
        {"vmid", U(100), T(100), "u", "t"},
        {"storage", S("local-lvm"), B(true), "s", "b"},
        {"iso", S("local:iso/debian-12.iso"), AS({"x"}), "s", "as"},
        {"os_type", S("l26"), U(26), "s", "u"},
        {"bios", S("ovmf"), B(true), "s", "b"},
        {"virtio_iso", S("local:iso/virtio-win.iso"), U(1), "s", "u"},
    };
}

TEST(CoreSpec, CoversEveryContractKey)
{
    EXPECT_EQ(allKeys().size(), 31u);
}

TEST(CoreSpec, SpecKeysListsTheContractKeysOnce)
{
    std::set<std::string> listed, covered;
    for (auto key : specKeys()) {
        EXPECT_TRUE(isSpecKey(key)) << key;
        EXPECT_TRUE(listed.emplace(key).second) << key << " listed twice";
    }
    for (const auto& c : allKeys())
        covered.emplace(c.key);
    // The rest of the contract's keys are the Proxmox backends' own.
    for (const auto& r : proxmoxKeys())
        if (covered.contains(std::string(r.key))) {
            EXPECT_FALSE(isSpecKey(r.key)) << r.key << " is both common and a backend key";
            listed.emplace(r.key);
        }
    EXPECT_EQ(listed, covered);
}

TEST(CoreSpec, EveryKeyAcceptsItsType)
{
    for (const auto& c : allKeys()) {
        SCOPED_TRACE(c.key);
        auto r = one(c.key, c.good);
        EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
    }
}

TEST(CoreSpec, EveryKeyRejectsAWrongTypeNamingKeyAndSignatures)
{
    for (const auto& c : allKeys()) {
        SCOPED_TRACE(c.key);
        expectInvalid(one(c.key, c.wrong),
                      {"spec key '" + c.key + "'", "must have type '" + c.expectedSig + "', got '" + c.wrongSig + "'"});
    }
}

TEST(CoreSpec, SignatureMustMatchNotOnlyTheCppType)
{
    // A 'q' (uint16) must not pass as a 'u' even if a converter put it in the
    // wrong alternative; the recorded signature wins.
    expectInvalid(one("cpu_quota", SpecValue{uint32_t{100}, "q"}), {"'cpu_quota'", "got 'q'"});
    // Without a recorded signature the alternative decides.
    EXPECT_TRUE(one("cpu_quota", SpecValue{uint32_t{100}, ""}));
    expectInvalid(one("cpu_quota", SpecValue{uint64_t{100}, ""}), {"got 't'"});
}

TEST(CoreSpec, UnknownKeyIsRejected)
{
    expectInvalid(one("foo", S("bar")), {"unknown spec key 'foo'"});
    expectInvalid(one("CPU_QUOTA", U(100)), {"unknown spec key 'CPU_QUOTA'"});
    expectInvalid(one("cpu-quota", U(100)), {"unknown spec key 'cpu-quota'"});
    expectInvalid(one("evil\nkey", U(1)), {"unknown spec key 'evil\\x0akey'"});
}

TEST(CoreSpec, EmptySpecIsValidAndEmpty)
{
    auto r = parseAll({}, Limits{});
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->distro);
    EXPECT_FALSE(r->cpuQuota);
    EXPECT_FALSE(r->password);
}

TEST(CoreSpec, ValuesLandInTheirFields)
{
    SpecMap raw{{"distro", S("debian")},
                {"release", S("bookworm")},
                {"arch", S("arm64")},
                {"template", S("tpl")},
                {"ssh", B(true)},
                {"ssh_authorized_keys", AS({kEd25519, kRsa})},
                {"cpu_quota", U(150)},
                {"memory_max", T(2 * GiB)},
                {"disk_max", T(20 * GiB)},
                {"swap_max", T(0)},
                {"cores", U(4)},
                {"bridge", S("br-lan")},
                {"ipv4", S("auto")},
                {"gateway", S("10.1.10.1")},
                {"dns", AS({"1.1.1.1", "2606:4700::1111"})},
                {"ipv6_mode", S("6in4")},
                {"ipv6", S("2001:db8::2")},
                {"tunnel", M({{"remote", "192.0.2.1"}, {"local", "198.51.100.7"}, {"address", "2001:db8:1::2/64"}})},
                {"ports", P({{"tcp", 2222, 22}, {"udp", 5353, 53}})},
                {"node", S("pve2")},
                {"vmid", U(4242)},
                {"storage", S("local-lvm")},
                {"iso", S("local:iso/a.iso")},
                {"os_type", S("win11")},
                {"bios", S("seabios")},
                {"virtio_iso", S("local:iso/v.iso")},
                {"password", S("hunter2 hunter2")}};
    auto r = parseAll(raw, Limits{});
    ASSERT_TRUE(r) << r.error().message;
    const MachineSpec& s = *r;
    EXPECT_EQ(s.distro, "debian");
    EXPECT_EQ(s.release, "bookworm");
    EXPECT_EQ(s.arch, "arm64");
    EXPECT_EQ(s.templateName, "tpl");
    EXPECT_EQ(s.ssh, true);
    EXPECT_EQ(s.sshAuthorizedKeys, (std::vector<std::string>{kEd25519, kRsa}));
    EXPECT_EQ(s.cpuQuota, 150u);
    EXPECT_EQ(s.memoryMax, 2 * GiB);
    EXPECT_EQ(s.diskMax, 20 * GiB);
    EXPECT_EQ(s.swapMax, 0u);
    EXPECT_EQ(s.cores, 4u);
    EXPECT_EQ(s.bridge, "br-lan");
    EXPECT_EQ(s.ipv4, "auto");
    EXPECT_EQ(s.gateway, "10.1.10.1");
    EXPECT_EQ(s.dns, (std::vector<std::string>{"1.1.1.1", "2606:4700::1111"}));
    EXPECT_EQ(s.ipv6Mode, "6in4");
    EXPECT_EQ(s.ipv6, "2001:db8::2");
    ASSERT_TRUE(s.tunnel);
    EXPECT_EQ(s.tunnel->at("local"), "198.51.100.7");
    EXPECT_EQ(s.ports, (std::vector<PortForward>{{"tcp", 2222, 22}, {"udp", 5353, 53}}));
    EXPECT_EQ(s.backend.text("node"), "pve2");
    EXPECT_EQ(s.backend.number("vmid"), 4242u);
    EXPECT_EQ(s.backend.text("storage"), "local-lvm");
    EXPECT_EQ(s.backend.text("iso"), "local:iso/a.iso");
    EXPECT_EQ(s.backend.text("os_type"), "win11");
    EXPECT_EQ(s.backend.text("bios"), "seabios");
    EXPECT_EQ(s.backend.text("virtio_iso"), "local:iso/v.iso");
    EXPECT_EQ(s.backend.values.size(), 7u);
    ASSERT_TRUE(s.password);
    EXPECT_EQ(s.password->reveal(), "hunter2 hunter2");
    EXPECT_FALSE(s.passwordHash);
    EXPECT_FALSE(s.wireguardConfig);
}

// ---- ranges: both bounds and just outside ----------------------------------------

TEST(CoreSpec, CpuQuotaRange)
{
    EXPECT_TRUE(one("cpu_quota", U(25)));
    EXPECT_TRUE(one("cpu_quota", U(400)));
    expectInvalid(one("cpu_quota", U(24)), {"'cpu_quota'", "24", "25-400"});
    expectInvalid(one("cpu_quota", U(401)), {"'cpu_quota'", "401", "25-400"});
    expectInvalid(one("cpu_quota", U(0)), {"'cpu_quota'", "25-400"});
}

TEST(CoreSpec, MemoryRange)
{
    EXPECT_TRUE(one("memory_max", T(256 * MiB)));
    EXPECT_TRUE(one("memory_max", T(8 * GiB)));
    expectInvalid(one("memory_max", T(256 * MiB - 1)), {"'memory_max'", "268435455", "256M-8G"});
    expectInvalid(one("memory_max", T(8 * GiB + 1)), {"'memory_max'", "8589934593", "256M-8G"});
    expectInvalid(one("memory_max", T(UINT64_MAX)), {"'memory_max'", "18446744073709551615"});
}

TEST(CoreSpec, DiskRange)
{
    EXPECT_TRUE(one("disk_max", T(5 * GiB)));
    EXPECT_TRUE(one("disk_max", T(100 * GiB)));
    expectInvalid(one("disk_max", T(5 * GiB - 1)), {"'disk_max'", "5G-100G"});
    expectInvalid(one("disk_max", T(100 * GiB + 1)), {"'disk_max'", "5G-100G"});
}

TEST(CoreSpec, SwapRangeFollowsTheMemoryLimit)
{
    EXPECT_TRUE(one("swap_max", T(0)));
    EXPECT_TRUE(one("swap_max", T(8 * GiB)));
    expectInvalid(one("swap_max", T(8 * GiB + 1)), {"'swap_max'", "0-8G"});
}

TEST(CoreSpec, ConfiguredLimitsAreUsed)
{
    Limits l;
    l.cpuQuotaMin = 50;
    l.cpuQuotaMax = 100;
    l.memoryMin = 1 * GiB;
    l.memoryMax = 2 * GiB;
    l.diskMin = 1 * GiB;
    l.diskMax = 1 * GiB;
    EXPECT_TRUE(one("cpu_quota", U(50), l));
    expectInvalid(one("cpu_quota", U(150), l), {"50-100"});
    EXPECT_TRUE(one("memory_max", T(2 * GiB), l));
    expectInvalid(one("memory_max", T(512 * MiB), l), {"1G-2G"});
    EXPECT_TRUE(one("disk_max", T(1 * GiB), l));
    expectInvalid(one("disk_max", T(2 * GiB), l), {"1G-1G"});
}

TEST(CoreSpec, CoresRange)
{
    EXPECT_TRUE(one("cores", U(1)));
    EXPECT_TRUE(one("cores", U(512)));
    expectInvalid(one("cores", U(0)), {"'cores'", "1-512"});
    expectInvalid(one("cores", U(513)), {"'cores'", "513", "1-512"});
}

TEST(CoreSpec, VmidRange)
{
    EXPECT_TRUE(one("vmid", U(100)));
    EXPECT_TRUE(one("vmid", U(999999999)));
    expectInvalid(one("vmid", U(99)), {"'vmid'", "99", "100-999999999"});
    expectInvalid(one("vmid", U(1000000000)), {"'vmid'", "1000000000", "100-999999999"});
}

TEST(CoreSpec, PortsRangeProtoAndDuplicates)
{
    EXPECT_TRUE(one("ports", P({{"tcp", 1, 1}, {"udp", 65535, 65535}})));
    EXPECT_TRUE(one("ports", P({})));
    EXPECT_TRUE(one("ports", P({{"tcp", 53, 53}, {"udp", 53, 53}})));  // same port, other proto
    expectInvalid(one("ports", P({{"tcp", 0, 80}})), {"'ports'", "entry 1", "host port 0", "1-65535"});
    expectInvalid(one("ports", P({{"tcp", 80, 80}, {"udp", 80, 0}})), {"entry 2", "machine port 0"});
    expectInvalid(one("ports", P({{"icmp", 1, 1}})), {"'ports'", "'icmp'", "tcp or udp"});
    expectInvalid(one("ports", P({{"TCP", 1, 1}})), {"'TCP'"});
    expectInvalid(one("ports", P({{"tcp", 8080, 80}, {"tcp", 8080, 81}})), {"entry 2", "8080/tcp", "twice"});
}

// ---- string formats ---------------------------------------------------------------

TEST(CoreSpec, TokenKeysRefusePathsAndOddCharacters)
{
    for (std::string key : {"distro", "release", "arch", "node", "storage"}) {
        SCOPED_TRACE(key);
        EXPECT_TRUE(one(key, S("debian-12.1_x+y")));
        EXPECT_TRUE(one(key, S(std::string(64, 'a'))));
        expectInvalid(one(key, S(std::string(65, 'a'))), {"'" + key + "'", "1-64 characters"});
        expectInvalid(one(key, S("")), {"'" + key + "'"});
        expectInvalid(one(key, S("../etc")), {"'" + key + "'", "'../etc'"});
        expectInvalid(one(key, S("a/b")), {"'" + key + "'"});
        expectInvalid(one(key, S("a b")), {"'" + key + "'"});
        expectInvalid(one(key, S("-x")), {"'" + key + "'"});
        expectInvalid(one(key, S("a\tb")), {"'" + key + "'", "\\x09"});
    }
}

TEST(CoreSpec, ReferenceKeys)
{
    for (std::string key : {"template", "iso", "virtio_iso"}) {
        SCOPED_TRACE(key);
        EXPECT_TRUE(one(key, S("local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst")));
        EXPECT_TRUE(one(key, S(std::string(255, 'x'))));
        expectInvalid(one(key, S(std::string(256, 'x'))), {"'" + key + "'", "256 bytes", "at most 255"});
        expectInvalid(one(key, S("")), {"'" + key + "'", "empty"});
        expectInvalid(one(key, S("a b")), {"'" + key + "'", "whitespace"});
        expectInvalid(one(key, S("a\x1b[31m")), {"'" + key + "'", "control characters"});
    }
}

TEST(CoreSpec, Bridge)
{
    EXPECT_TRUE(one("bridge", S("br0")));
    EXPECT_TRUE(one("bridge", S(std::string(15, 'b'))));
    expectInvalid(one("bridge", S(std::string(16, 'b'))), {"'bridge'", "interface name"});
    expectInvalid(one("bridge", S("br/0")), {"'bridge'"});
    expectInvalid(one("bridge", S("br 0")), {"'bridge'"});
    expectInvalid(one("bridge", S("..")), {"'bridge'"});
    expectInvalid(one("bridge", S("")), {"'bridge'"});
}

TEST(CoreSpec, Ipv4)
{
    // A bare address is accepted here: the pool that holds it gives the
    // length (engine_pools_test), and one no pool holds is refused there.
    for (std::string ok : {"auto", "10.1.10.91/24", "192.168.1.5/32", "10.0.0.1/8", "10.1.10.0/31", "1.2.3.4/1",
                           "10.1.10.91"})
        EXPECT_TRUE(one("ipv4", S(ok))) << ok;
    for (std::string bad : {"AUTO", "10.1.10.91/33", "10.1.10.91/0", "10.1.10.91/", "010.1.1.1/24",
                            "1.2.3/24", "1.2.3.4.5/24", "256.1.1.1/24", "10.1.10.91/24 ", "2001:db8::1/64",
                            "10.1.10.91/024"})
        expectInvalid(one("ipv4", S(bad)), {"'ipv4'", "a.b.c.d/1-32"});
    expectInvalid(one("ipv4", S("10.1.10.0/24")), {"'ipv4'", "network or broadcast"});
    expectInvalid(one("ipv4", S("10.1.10.255/24")), {"'ipv4'", "network or broadcast"});
}

TEST(CoreSpec, Gateway)
{
    EXPECT_TRUE(one("gateway", S("10.1.10.1")));
    for (std::string bad : {"10.1.10.1/24", "fe80::1", "gw", "", "10.1.10.01"})
        expectInvalid(one("gateway", S(bad)), {"'gateway'", "not an IPv4 address"});
}

TEST(CoreSpec, Dns)
{
    EXPECT_TRUE(one("dns", AS({})));
    EXPECT_TRUE(one("dns", AS({"1.1.1.1", "2606:4700:4700::1111", "9.9.9.9"})));
    EXPECT_TRUE(one("dns", AS(std::vector<std::string>(8, "1.1.1.1"))));
    expectInvalid(one("dns", AS(std::vector<std::string>(9, "1.1.1.1"))), {"'dns'", "9 entries", "at most 8"});
    expectInvalid(one("dns", AS({"1.1.1.1", "dns.google"})), {"'dns'", "entry 2", "'dns.google'", "not an IP"});
    expectInvalid(one("dns", AS({"1.1.1.1/32"})), {"'dns'", "entry 1"});
}

TEST(CoreSpec, Ipv6ModeAndAddress)
{
    for (std::string mode : {"none", "native", "6in4", "wireguard"})
        EXPECT_TRUE(one("ipv6_mode", S(mode))) << mode;
    expectInvalid(one("ipv6_mode", S("auto")), {"'ipv6_mode'", "'auto'", "none|native|6in4|wireguard"});
    expectInvalid(one("ipv6_mode", S("Native")), {"'ipv6_mode'"});

    for (std::string ok : {"2001:db8::5", "2001:db8::5/64", "::1/128", "fe80::1/0", "auto"})
        EXPECT_TRUE(one("ipv6", S(ok))) << ok;
    for (std::string bad : {"2001:db8::5/129", "10.0.0.1", "2001:db8::5/", "2001:db8:::5", "x"})
        expectInvalid(one("ipv6", S(bad)), {"'ipv6'", "not an IPv6 address"});
    // The IPv6 gateway: an address, no prefix, no "auto".
    EXPECT_TRUE(one("gateway6", S("2001:db8::1")));
    for (std::string bad : {"2001:db8::1/64", "auto", "10.0.0.1"})
        expectInvalid(one("gateway6", S(bad)), {"'gateway6'", "not an IPv6 address"});
}

TEST(CoreSpec, Tunnel)
{
    EXPECT_TRUE(one("tunnel", M({})));
    EXPECT_TRUE(one("tunnel", M({{"remote", "192.0.2.1"}, {"local", "198.51.100.7"}, {"address", "2001:db8::2/64"}})));
    expectInvalid(one("tunnel", M({{"remote", "192.0.2.1"}, {"ttl", "64"}})),
                  {"'tunnel'", "unknown key 'ttl'", "remote, local, address"});
    expectInvalid(one("tunnel", M({{"remote", "tunnelbroker.net"}})), {"'tunnel.remote'", "IPv4"});
    expectInvalid(one("tunnel", M({{"local", "2001:db8::1"}})), {"'tunnel.local'", "IPv4"});
    expectInvalid(one("tunnel", M({{"address", "192.0.2.1"}})), {"'tunnel.address'", "IPv6"});
}

TEST(CoreSpec, Bios)
{
    EXPECT_TRUE(one("bios", S("seabios")));
    EXPECT_TRUE(one("bios", S("ovmf")));
    expectInvalid(one("bios", S("uefi")), {"'bios'", "'uefi'", "seabios|ovmf"});
}

// ---- credentials -------------------------------------------------------------------

TEST(CoreSpec, PasswordRulesNeverEchoTheValue)
{
    EXPECT_TRUE(one("password", S(std::string(1024, 'p'))));
    const std::vector<std::string> bad{"hun\nter2-SECRET", "hun\rter2-SECRET", std::string("hun\0ter2-SECRET", 15),
                                       "hun:ter2-SECRET"};
    for (const auto& pw : bad) {
        auto r = one("password", S(pw));
        expectInvalid(r, {"'password'", "newline, carriage return, NUL or ':'"});
        EXPECT_THAT(r.error().message, Not(HasSubstr("SECRET")));
        EXPECT_THAT(r.error().message, Not(HasSubstr("hun")));
    }
    auto longOne = one("password", S(std::string(1025, 'Q')));
    expectInvalid(longOne, {"'password'", "longer than 1024"});
    EXPECT_THAT(longOne.error().message, Not(HasSubstr("QQ")));
    expectInvalid(one("password", S("")), {"'password'", "empty"});
}

TEST(CoreSpec, PasswordHashIsACryptStringAndNeverEchoed)
{
    for (std::string ok : {"$y$j9T$F5Jx5fExrKuJcD4t$0123456789abcdefghijklmnopqrstuvwxyzABCDEF",
                           "$6$rounds=5000$saltsalt$AbCd./0123", "$1$abc$def"})
        EXPECT_TRUE(one("password_hash", S(ok))) << ok;
    for (std::string bad : {"plaintextSECRET", "$y$ab cd SECRET", "$6$salt$SECRET:x", "$y$SECRET\n", "$"}) {
        auto r = one("password_hash", S(bad));
        expectInvalid(r, {"'password_hash'", "crypt(3)"});
        EXPECT_THAT(r.error().message, Not(HasSubstr("SECRET")));
    }
}

TEST(CoreSpec, PasswordAndHashAreMutuallyExclusive)
{
    auto r = parseAll({{"password", S("pw-SECRET")}, {"password_hash", S("$y$j9T$salt$hash")}}, Limits{});
    expectInvalid(r, {"'password'", "'password_hash'", "mutually exclusive"});
    EXPECT_THAT(r.error().message, Not(HasSubstr("SECRET")));
}

TEST(CoreSpec, WireguardConfigIsASecretConfig)
{
    const std::string conf = "[Interface]\nPrivateKey = cHJpdmF0ZUtleVNFQ1JFVA==\nAddress = 2001:db8::2/64\n\n[Peer]\n";
    auto r = one("wireguard_config", S(conf));
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_TRUE(r->wireguardConfig);
    EXPECT_EQ(r->wireguardConfig->reveal(), conf);

    for (std::string bad : {std::string("PrivateKey = cHJpdmF0ZUtleVNFQ1JFVA==\n"),
                            std::string("[Interface]\nPrivateKey = cHJpdmF0ZUtleVNFQ1JFVA==\0", 51),
                            std::string("[Interface]\x1b\nPrivateKey = cHJpdmF0ZUtleVNFQ1JFVA==")}) {
        auto e = one("wireguard_config", S(bad));
        expectInvalid(e, {"'wireguard_config'"});
        EXPECT_THAT(e.error().message, Not(HasSubstr("cHJpdmF0ZUtleVNFQ1JFVA")));
    }
    expectInvalid(one("wireguard_config", S(std::string(64 * 1024 + 1, 'x'))), {"'wireguard_config'", "65536"});
}

// ---- SSH keys --------------------------------------------------------------------------

TEST(CoreSpec, SshAuthorizedKeysAcceptsRealKeys)
{
    auto r = one("ssh_authorized_keys",
                 AS({kEd25519, kRsa, kEcdsa, "from=\"10.0.0.0/8\",no-pty " + kEd25519, kEd25519 + " extra comment"}));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->sshAuthorizedKeys->size(), 5u);
    EXPECT_TRUE(one("ssh_authorized_keys", AS({})));
}

TEST(CoreSpec, SshAuthorizedKeysRejectsWhatIsNotAKey)
{
    const std::string ed25519Blob = kEd25519.substr(12, 68);
    const std::vector<std::pair<std::string, std::string>> bad{
        {"ssh-ed25519", "does not look like an SSH public key"},
        {"ssh-ed25519 not*base64", "does not look like"},
        {"ssh-ed25519 AAAA", "does not look like"},
        {"ssh-rsa " + ed25519Blob, "does not look like"},  // blob names another type
        {"ssh-foo " + ed25519Blob, "does not look like"},
        {"-----BEGIN OPENSSH PRIVATE KEY-----", "does not look like"},
        {"", "does not look like"},
        {kEd25519 + "\nssh-ed25519 AAAA", "single line"},
        {kEd25519 + "\r", "single line"},
    };
    for (const auto& [key, why] : bad) {
        SCOPED_TRACE(key);
        expectInvalid(one("ssh_authorized_keys", AS({kRsa, key})), {"'ssh_authorized_keys'", "entry 2", why});
    }
    expectInvalid(one("ssh_authorized_keys", AS(std::vector<std::string>(101, kEd25519))), {"101 entries"});
    EXPECT_TRUE(one("ssh_authorized_keys", AS(std::vector<std::string>(100, kEd25519))));
}

TEST(CoreSpec, ControlCharactersAreRefusedInEveryPlainString)
{
    for (std::string key : {"distro", "release", "arch", "template", "bridge", "ipv4", "gateway", "ipv6_mode", "ipv6",
                            "node", "storage", "iso", "os_type", "bios", "virtio_iso"}) {
        SCOPED_TRACE(key);
        auto r = one(key, S("x\ny"));
        expectInvalid(r, {"'" + key + "'"});
        EXPECT_EQ(r.error().message.find('\n'), std::string::npos);
    }
}

// A backend key is a key only for the backend that registered it.
TEST(CoreSpec, BackendKeysAreUnknownToABackendThatDidNotRegisterThem)
{
    auto r = parseSpec({{"iso", S("local:iso/a.iso")}}, Limits{}, {}, "nspawn");
    expectInvalid(r, {"unknown spec key 'iso' for backend 'nspawn'"});
    EXPECT_FALSE(isSpecKey("iso"));
    auto withRules = parseAll({{"iso", S("local:iso/a.iso")}});
    ASSERT_TRUE(withRules) << withRules.error().message;
    // A backend key's type and check still apply.
    expectInvalid(parseAll({{"vmid", U(42)}}), {"'vmid'", "100-999999999"});
    expectInvalid(parseAll({{"iso", U(42)}}), {"spec key 'iso' must have type 's', got 'u'"});
}

TEST(CoreSpec, FirstErrorWinsAndNothingIsReturned)
{
    auto r = parseAll({{"cpu_quota", U(1000)}, {"distro", S("debian")}, {"memory_max", T(1)}}, Limits{});
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message, HasSubstr("cpu_quota"));  // keys are checked in name order
}

}  // namespace
