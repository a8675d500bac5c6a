// libzenith-client Spec: every contract key has its type; set() refuses an
// unknown key or a wrong type, naming the key.
#include <gtest/gtest.h>

#include "zenith/client/spec.h"

namespace {

using zenith::client::Spec;
using zenith::client::SpecType;
using zenith::client::specKeyType;

TEST(ClientSpec, EveryContractKeyHasItsType)
{
    const std::pair<const char*, SpecType> expected[] = {
        {"distro", SpecType::String},        {"release", SpecType::String},       {"arch", SpecType::String},
        {"template", SpecType::String},      {"password", SpecType::String},      {"password_hash", SpecType::String},
        {"ssh", SpecType::Bool},             {"ssh_authorized_keys", SpecType::StringList},
        {"cpu_quota", SpecType::UInt32},     {"memory_max", SpecType::UInt64},    {"disk_max", SpecType::UInt64},
        {"swap_max", SpecType::UInt64},      {"cores", SpecType::UInt32},         {"bridge", SpecType::String},
        {"ipv4", SpecType::String},          {"gateway", SpecType::String},       {"dns", SpecType::StringList},
        {"ipv6_mode", SpecType::String},     {"ipv6", SpecType::String},          {"tunnel", SpecType::StringMap},
        {"wireguard_config", SpecType::String}, {"ports", SpecType::Ports},       {"node", SpecType::String},
        {"vmid", SpecType::UInt32},          {"storage", SpecType::String},       {"iso", SpecType::String},
        {"os_type", SpecType::String},       {"bios", SpecType::String},          {"virtio_iso", SpecType::String},
        {"pool", SpecType::String},          {"gateway6", SpecType::String},      {"last_octet", SpecType::UInt32},
        {"ostemplate", SpecType::String},
        {"unprivileged", SpecType::Bool},    {"nesting", SpecType::Bool},         {"full_clone", SpecType::Bool},
        {"cpu_type", SpecType::String},      {"machine", SpecType::String},       {"vga", SpecType::String},
        {"scsihw", SpecType::String},        {"boot", SpecType::String},          {"agent", SpecType::Bool},
        {"tablet", SpecType::Bool},          {"onboot", SpecType::Bool},          {"make_template", SpecType::Bool},
    };
    ASSERT_EQ(zenith::client::specKeys().size(), std::size(expected));
    for (const auto& [key, type] : expected) {
        ASSERT_TRUE(specKeyType(key).has_value()) << key;
        EXPECT_EQ(*specKeyType(key), type) << key;
    }
    EXPECT_FALSE(specKeyType("memory").has_value());
    EXPECT_EQ(zenith::client::specTypeSignature(SpecType::Ports), "a(sqq)");
    EXPECT_EQ(zenith::client::specTypeSignature(SpecType::StringMap), "a{sv}");
}

TEST(ClientSpec, SettersStoreUnderTheContractKeys)
{
    Spec spec;
    spec.setTemplate("base").setCpuQuota(150).setMemoryMax(1ull << 30).setIpv6Mode("6in4").setVmid(100);
    spec.addSshAuthorizedKey("k1").addSshAuthorizedKey("k2").setVirtioIso("virtio.iso");
    EXPECT_EQ(std::get<std::string>(*spec.get("template")), "base");
    EXPECT_EQ(std::get<uint32_t>(*spec.get("cpu_quota")), 150u);
    EXPECT_EQ(std::get<uint64_t>(*spec.get("memory_max")), 1ull << 30);
    EXPECT_EQ(std::get<std::string>(*spec.get("ipv6_mode")), "6in4");
    EXPECT_EQ(std::get<uint32_t>(*spec.get("vmid")), 100u);
    EXPECT_EQ(std::get<std::vector<std::string>>(*spec.get("ssh_authorized_keys")),
              (std::vector<std::string>{"k1", "k2"}));
    EXPECT_TRUE(spec.contains("virtio_iso"));
    EXPECT_EQ(spec.values().size(), 7u);
}

TEST(ClientSpec, SetRejectsUnknownKeysAndWrongTypesNamingTheKey)
{
    Spec spec;
    auto unknown = spec.set("colour", std::string("red"));
    ASSERT_FALSE(unknown.has_value());
    EXPECT_EQ(unknown.error().kind, zenith::client::ErrorKind::InvalidArgs);
    EXPECT_NE(unknown.error().message.find("colour"), std::string::npos);

    auto wrong = spec.set("memory_max", uint32_t{5});
    ASSERT_FALSE(wrong.has_value());
    EXPECT_NE(wrong.error().message.find("memory_max"), std::string::npos);
    EXPECT_NE(wrong.error().message.find("'t'"), std::string::npos);
    EXPECT_TRUE(spec.empty());

    ASSERT_TRUE(spec.set("memory_max", uint64_t{5}).has_value());
    EXPECT_TRUE(spec.contains("memory_max"));
}

TEST(ClientSpec, EraseAndSecretsAreKnown)
{
    Spec spec;
    spec.setPassword("pw").setWireguardConfig("[Interface]\nPrivateKey=x");
    EXPECT_TRUE(zenith::client::isSecretSpecKey("password"));
    EXPECT_TRUE(zenith::client::isSecretSpecKey("wireguard_config"));
    EXPECT_FALSE(zenith::client::isSecretSpecKey("password_hash"));
    spec.erase("password");
    EXPECT_FALSE(spec.contains("password"));
    EXPECT_TRUE(spec.contains("wireguard_config"));
}

}  // namespace
