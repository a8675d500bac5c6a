// a{sv} -> core::SpecMap: every accepted signature converts with its
// signature kept; any other is InvalidArgs naming the key and the signature.
#include <gtest/gtest.h>

#include <sdbus-c++/Types.h>

#include "dbus/spec_variant.h"

using namespace zenith;
using core::ErrorCode;
using VariantMap = std::map<std::string, sdbus::Variant>;

namespace {

template <typename T>
const T& as(const core::SpecMap& m, const std::string& key)
{
    return std::get<T>(m.at(key).value);
}

// As the engine answers with a Proxmox backend configured: its keys exist.
bool withProxmoxKeys(std::string_view key)
{
    return core::isSpecKey(key) || key == "vmid" || key == "iso";
}

}  // namespace

TEST(DbusSpecVariant, ScalarTypesKeepValueAndSignature)
{
    VariantMap in{{"ssh", sdbus::Variant(true)},
                  {"vmid", sdbus::Variant(uint16_t(8080))},
                  {"cpu_quota", sdbus::Variant(uint32_t(150))},
                  {"memory_max", sdbus::Variant(uint64_t(1) << 30)},
                  {"cores", sdbus::Variant(int32_t(-5))},
                  {"disk_max", sdbus::Variant(int64_t(-1) << 40)},
                  {"swap_max", sdbus::Variant(2.5)},
                  {"release", sdbus::Variant(std::string("bookworm"))}};
    auto out = dbus::specFromVariants(in, "spec", withProxmoxKeys);
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(out->size(), in.size());
    EXPECT_EQ(as<bool>(*out, "ssh"), true);
    EXPECT_EQ(out->at("ssh").signature, "b");
    EXPECT_EQ(as<uint16_t>(*out, "vmid"), 8080);
    EXPECT_EQ(out->at("vmid").signature, "q");
    EXPECT_EQ(as<uint32_t>(*out, "cpu_quota"), 150u);
    EXPECT_EQ(out->at("cpu_quota").signature, "u");
    EXPECT_EQ(as<uint64_t>(*out, "memory_max"), uint64_t(1) << 30);
    EXPECT_EQ(out->at("memory_max").signature, "t");
    EXPECT_EQ(as<int32_t>(*out, "cores"), -5);
    EXPECT_EQ(out->at("cores").signature, "i");
    EXPECT_EQ(as<int64_t>(*out, "disk_max"), int64_t(-1) << 40);
    EXPECT_EQ(out->at("disk_max").signature, "x");
    EXPECT_EQ(as<double>(*out, "swap_max"), 2.5);
    EXPECT_EQ(out->at("swap_max").signature, "d");
    EXPECT_EQ(as<std::string>(*out, "release"), "bookworm");
    EXPECT_EQ(out->at("release").signature, "s");
}

TEST(DbusSpecVariant, ContainerTypes)
{
    using Port = sdbus::Struct<std::string, uint16_t, uint16_t>;
    VariantMap in{
        {"dns", sdbus::Variant(std::vector<std::string>{"1.1.1.1", "9.9.9.9"})},
        {"ports", sdbus::Variant(std::vector<Port>{Port{"tcp", uint16_t(2222), uint16_t(22)},
                                                   Port{"udp", uint16_t(51820), uint16_t(51820)}})},
        {"tunnel", sdbus::Variant(std::map<std::string, sdbus::Variant>{
                       {"remote", sdbus::Variant(std::string("192.0.2.1"))},
                       {"local", sdbus::Variant(std::string("198.51.100.2"))}})},
    };
    auto out = dbus::specFromVariants(in, "spec");
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(as<std::vector<std::string>>(*out, "dns"), (std::vector<std::string>{"1.1.1.1", "9.9.9.9"}));
    EXPECT_EQ(out->at("dns").signature, "as");
    auto ports = as<std::vector<core::PortForward>>(*out, "ports");
    ASSERT_EQ(ports.size(), 2u);
    EXPECT_EQ(ports[0], (core::PortForward{"tcp", 2222, 22}));
    EXPECT_EQ(ports[1], (core::PortForward{"udp", 51820, 51820}));
    EXPECT_EQ(out->at("ports").signature, "a(sqq)");
    auto tunnel = as<std::map<std::string, std::string>>(*out, "tunnel");
    EXPECT_EQ(tunnel, (std::map<std::string, std::string>{{"remote", "192.0.2.1"}, {"local", "198.51.100.2"}}));
    EXPECT_EQ(out->at("tunnel").signature, "a{sv}");
}

TEST(DbusSpecVariant, UnsupportedSignatureNamesKeyAndSignature)
{
    VariantMap in{{"release", sdbus::Variant(std::string("bookworm"))},
                  {"iso", sdbus::Variant(std::vector<uint8_t>{1, 2, 3})}};
    auto out = dbus::specFromVariants(in, "overrides", withProxmoxKeys);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, ErrorCode::InvalidArgs);
    EXPECT_NE(out.error().message.find("overrides"), std::string::npos) << out.error().message;
    EXPECT_NE(out.error().message.find("'iso'"), std::string::npos) << out.error().message;
    EXPECT_NE(out.error().message.find("'ay'"), std::string::npos) << out.error().message;
}

TEST(DbusSpecVariant, UnknownKeyIsNamedAsUnknownWhateverItsType)
{
    VariantMap in{{"blob", sdbus::Variant(std::vector<uint8_t>{1, 2, 3})}};
    auto out = dbus::specFromVariants(in, "spec");
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, ErrorCode::InvalidArgs);
    EXPECT_EQ(out.error().message, "unknown spec key 'blob'");
    // A backend key is a key only where that backend is configured.
    auto iso = dbus::specFromVariants({{"iso", sdbus::Variant(std::string("local:iso/a.iso"))}}, "spec");
    ASSERT_FALSE(iso);
    EXPECT_EQ(iso.error().message, "unknown spec key 'iso'");
}

TEST(DbusSpecVariant, DictOfStringsToStringsIsNotA_sv)
{
    VariantMap in{{"tunnel", sdbus::Variant(std::map<std::string, std::string>{{"remote", "192.0.2.1"}})}};
    auto out = dbus::specFromVariants(in, "spec");
    ASSERT_FALSE(out);
    EXPECT_NE(out.error().message.find("'a{ss}'"), std::string::npos) << out.error().message;
}

TEST(DbusSpecVariant, NestedDictRejectsNonStringEntries)
{
    VariantMap in{{"tunnel", sdbus::Variant(std::map<std::string, sdbus::Variant>{
                                 {"remote", sdbus::Variant(std::string("192.0.2.1"))},
                                 {"mtu", sdbus::Variant(uint32_t(1480))}})}};
    auto out = dbus::specFromVariants(in, "spec");
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, ErrorCode::InvalidArgs);
    EXPECT_NE(out.error().message.find("'tunnel'"), std::string::npos) << out.error().message;
    EXPECT_NE(out.error().message.find("'mtu'"), std::string::npos) << out.error().message;
    EXPECT_NE(out.error().message.find("'u'"), std::string::npos) << out.error().message;
}

TEST(DbusSpecVariant, ErrorNeverEchoesTheValue)
{
    // A password sent with the wrong type must not appear in the error.
    for (const char* key : {"password", "wireguard_config"}) {
        VariantMap in{{key, sdbus::Variant(std::vector<uint8_t>{'h', 'u', 'n', 't', 'e', 'r', '2'})}};
        auto out = dbus::specFromVariants(in, "spec");
        ASSERT_FALSE(out);
        EXPECT_NE(out.error().message.find(key), std::string::npos) << out.error().message;
        EXPECT_EQ(out.error().message.find("hunter2"), std::string::npos) << out.error().message;
    }
}

TEST(DbusSpecVariant, EmptyMapIsEmptySpec)
{
    auto out = dbus::specFromVariants({}, "spec");
    ASSERT_TRUE(out);
    EXPECT_TRUE(out->empty());
}
