#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/spec.h"
#include "drivers/proxmox/spec_keys.h"

using namespace zenith::core;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

constexpr uint64_t GiB = 1ull << 30;

MachineSpec fullSpec()
{
    MachineSpec s;
    s.distro = "debian";
    s.release = "bookworm";
    s.arch = "amd64";
    s.templateName = "tpl";
    s.password = Secret("pw-SECRET-1");
    s.ssh = false;
    s.sshAuthorizedKeys = std::vector<std::string>{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOc1sg1JVSFy9QBwuLlBgsH4szDMx+kc/VPml9o96dRh a"};
    s.cpuQuota = 200;
    s.memoryMax = 2 * GiB;
    s.diskMax = 10 * GiB;
    s.swapMax = 0;
    s.cores = 2;
    s.bridge = "br0";
    s.ipv4 = "10.1.10.91/24";
    s.pool = "cloudpods";
    s.gateway = "10.1.10.1";
    s.dns = std::vector<std::string>{"10.1.10.1", "2001:db8::53"};
    s.ipv6Mode = "wireguard";
    s.ipv6 = "2001:db8::91/64";
    s.tunnel = std::map<std::string, std::string>{{"remote", "192.0.2.1"}, {"address", "2001:db8::2/64"}};
    s.wireguardConfig = Secret("[Interface]\nPrivateKey = WG-SECRET-KEY\n");
    s.ports = std::vector<PortForward>{{"tcp", 2222, 22}, {"udp", 65535, 1}};
    s.backend.values = {{"node", SpecValue{std::string("pve1"), "s"}},
                        {"vmid", SpecValue{uint32_t{101}, "u"}},
                        {"storage", SpecValue{std::string("local-lvm"), "s"}},
                        {"iso", SpecValue{std::string("local:iso/d.iso"), "s"}},
                        {"os_type", SpecValue{std::string("l26"), "s"}},
                        {"bios", SpecValue{std::string("ovmf"), "s"}},
                        {"virtio_iso", SpecValue{std::string("local:iso/v.iso"), "s"}}};
    return s;
}

TEST(CoreSpecJson, NeverContainsCredentials)
{
    std::string json = specToJson(fullSpec());
    EXPECT_THAT(json, Not(HasSubstr("SECRET")));
    EXPECT_THAT(json, Not(HasSubstr("password")));
    EXPECT_THAT(json, Not(HasSubstr("wireguard_config")));

    MachineSpec hashed;
    hashed.passwordHash = "$y$j9T$salt$HASHVALUE";
    std::string h = specToJson(hashed);
    EXPECT_THAT(h, Not(HasSubstr("HASHVALUE")));
    EXPECT_EQ(h, "{}");
}

TEST(CoreSpecJson, UsesTheContractKeyNames)
{
    auto j = nlohmann::json::parse(specToJson(fullSpec()));
    EXPECT_EQ(j["template"], "tpl");
    EXPECT_EQ(j["cpu_quota"], 200);
    EXPECT_EQ(j["memory_max"], 2 * GiB);
    EXPECT_EQ(j["os_type"], "l26");
    EXPECT_EQ(j["ports"][0], nlohmann::json::array({"tcp", 2222, 22}));
    EXPECT_EQ(j["tunnel"]["remote"], "192.0.2.1");
    EXPECT_EQ(j.size(), 27u);  // 30 keys minus the three credentials
}

TEST(CoreSpecJson, RoundTripsEverythingButCredentials)
{
    MachineSpec in = fullSpec();
    auto out = specFromJson(specToJson(in), zenith::drivers::proxmox::qemuSpecKeys());
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_FALSE(out->password);
    EXPECT_FALSE(out->passwordHash);
    EXPECT_FALSE(out->wireguardConfig);
    EXPECT_EQ(out->distro, in.distro);
    EXPECT_EQ(out->release, in.release);
    EXPECT_EQ(out->arch, in.arch);
    EXPECT_EQ(out->templateName, in.templateName);
    EXPECT_EQ(out->ssh, in.ssh);
    EXPECT_EQ(out->sshAuthorizedKeys, in.sshAuthorizedKeys);
    EXPECT_EQ(out->cpuQuota, in.cpuQuota);
    EXPECT_EQ(out->memoryMax, in.memoryMax);
    EXPECT_EQ(out->diskMax, in.diskMax);
    EXPECT_EQ(out->swapMax, in.swapMax);
    EXPECT_EQ(out->cores, in.cores);
    EXPECT_EQ(out->bridge, in.bridge);
    EXPECT_EQ(out->ipv4, in.ipv4);
    EXPECT_EQ(out->pool, in.pool);
    EXPECT_EQ(out->gateway, in.gateway);
    EXPECT_EQ(out->dns, in.dns);
    EXPECT_EQ(out->ipv6Mode, in.ipv6Mode);
    EXPECT_EQ(out->ipv6, in.ipv6);
    EXPECT_EQ(out->tunnel, in.tunnel);
    EXPECT_EQ(out->ports, in.ports);
    EXPECT_EQ(out->backend.values.size(), in.backend.values.size());
    for (const auto& [key, value] : in.backend.values) {
        ASSERT_TRUE(out->backend.has(key)) << key;
        EXPECT_EQ(out->backend.values.at(key).value, value.value) << key;
    }
    // Without the backend's rules a stored backend key is unknown.
    auto bare = specFromJson(specToJson(in));
    ASSERT_FALSE(bare);
    EXPECT_THAT(bare.error().message, HasSubstr("unknown spec key"));
    // And the rendering is stable.
    EXPECT_EQ(specToJson(*out), specToJson(in));
}

TEST(CoreSpecJson, EmptySpecRoundTrips)
{
    EXPECT_EQ(specToJson(MachineSpec{}), "{}");
    auto r = specFromJson("{}");
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->distro);
}

TEST(CoreSpecJson, StoredSizesAreNotRecheckedAgainstTodaysLimits)
{
    // Made under a [Limits] that allowed 16G; still readable after the limit shrank.
    auto r = specFromJson(R"({"memory_max": 17179869184, "cpu_quota": 800})");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->memoryMax, 16 * GiB);
    EXPECT_EQ(r->cpuQuota, 800u);
}

TEST(CoreSpecJson, RejectsBadStoredSpecs)
{
    const std::vector<std::pair<std::string, std::string>> bad{
        {"not json", "not a JSON object"},
        {"[1,2]", "not a JSON object"},
        {R"({"foo": 1})", "unknown spec key 'foo'"},
        {R"({"password": "x"})", "'password'"},
        {R"({"password_hash": "$y$a$b"})", "'password_hash'"},
        {R"({"wireguard_config": "[Interface]"})", "'wireguard_config'"},
        {R"({"cpu_quota": "100"})", "'cpu_quota' must have type 'u', got JSON string"},
        {R"({"cpu_quota": -1})", "'cpu_quota'"},
        {R"({"cpu_quota": 4294967296})", "'cpu_quota'"},
        {R"({"ssh": 1})", "'ssh'"},
        {R"({"dns": ["1.1.1.1", 5]})", "'dns'"},
        {R"({"ports": [["tcp", 70000, 1]]})", "'ports'"},
        {R"({"ports": [["tcp", 1]]})", "'ports'"},
        {R"({"tunnel": {"remote": 1}})", "'tunnel'"},
        {R"({"vmid": 5})", "'vmid'"},             // fixed ranges still apply
        {R"({"ipv4": "10.0.0.1/33"})", "'ipv4'"},  // and formats
    };
    for (const auto& [json, fragment] : bad) {
        SCOPED_TRACE(json);
        auto r = specFromJson(json, zenith::drivers::proxmox::qemuSpecKeys());
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, ErrorCode::InvalidArgs);
        EXPECT_THAT(r.error().message, HasSubstr(fragment));
    }
}

TEST(CoreSpecMerge, OverrideWinsPerKeyAndTheRestIsKept)
{
    MachineSpec base = fullSpec();
    MachineSpec over;
    over.cpuQuota = 50;
    over.ipv4 = "auto";
    over.dns = std::vector<std::string>{"9.9.9.9"};
    over.backend.values["os_type"] = SpecValue{std::string("win11"), "s"};
    MachineSpec m = mergeSpec(base, over);
    EXPECT_EQ(m.cpuQuota, 50u);
    EXPECT_EQ(m.ipv4, "auto");
    EXPECT_EQ(m.dns, (std::vector<std::string>{"9.9.9.9"}));
    EXPECT_EQ(m.memoryMax, base.memoryMax);
    EXPECT_EQ(m.distro, base.distro);
    EXPECT_EQ(m.ports, base.ports);
    EXPECT_EQ(m.backend.number("vmid"), base.backend.number("vmid"));
    EXPECT_EQ(m.backend.text("os_type"), "win11");
    EXPECT_EQ(m.backend.text("node"), "pve1");
    ASSERT_TRUE(m.password);
    EXPECT_EQ(m.password->reveal(), "pw-SECRET-1");
    ASSERT_TRUE(m.wireguardConfig);
}

TEST(CoreSpecMerge, EveryKeyCanBeOverridden)
{
    MachineSpec base;
    MachineSpec over = fullSpec();
    over.password.reset();
    MachineSpec m = mergeSpec(base, over);
    EXPECT_EQ(specToJson(m), specToJson(over));
    EXPECT_TRUE(m.wireguardConfig);
    EXPECT_EQ(mergeSpec(over, MachineSpec{}).backend.number("vmid"), over.backend.number("vmid"));
}

TEST(CoreSpecMerge, ANewCredentialReplacesTheOldKind)
{
    MachineSpec base;
    base.passwordHash = "$y$j9T$salt$old";
    MachineSpec over;
    over.password = Secret("new");
    MachineSpec m = mergeSpec(base, over);
    EXPECT_FALSE(m.passwordHash);
    ASSERT_TRUE(m.password);
    EXPECT_EQ(m.password->reveal(), "new");

    MachineSpec over2;
    over2.passwordHash = "$y$j9T$salt$newer";
    MachineSpec m2 = mergeSpec(m, over2);
    EXPECT_FALSE(m2.password);
    EXPECT_EQ(m2.passwordHash, "$y$j9T$salt$newer");
}

}  // namespace
