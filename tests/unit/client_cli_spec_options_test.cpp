// zenithctl --set KEY=VALUE typed by the contract, and the dedicated
// create/clone options merged into one Spec.
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>

#include "spec_options.h"

namespace {

using zenith::client::PortForward;
using zenith::client::SpecValue;
using zenithctl::parseSpecValue;

template <typename T>
T as(const zenith::client::Result<SpecValue>& r)
{
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
    return std::get<T>(*r);
}

TEST(ClientCliSet, EachKeyIsTypedByTheContract)
{
    EXPECT_EQ(as<std::string>(parseSpecValue("release", "bookworm")), "bookworm");
    EXPECT_EQ(as<std::string>(parseSpecValue("ipv4", "auto")), "auto");
    EXPECT_EQ(as<bool>(parseSpecValue("ssh", "yes")), true);
    EXPECT_EQ(as<bool>(parseSpecValue("ssh", "off")), false);
    EXPECT_EQ(as<uint32_t>(parseSpecValue("cpu_quota", "150")), 150u);
    EXPECT_EQ(as<uint32_t>(parseSpecValue("cpu_quota", "150%")), 150u);
    EXPECT_EQ(as<uint32_t>(parseSpecValue("cores", "4")), 4u);
    EXPECT_EQ(as<uint32_t>(parseSpecValue("vmid", "105")), 105u);
    EXPECT_EQ(as<uint64_t>(parseSpecValue("memory_max", "512M")), 512ull << 20);
    EXPECT_EQ(as<uint64_t>(parseSpecValue("disk_max", "20G")), 20ull << 30);
    EXPECT_EQ(as<uint64_t>(parseSpecValue("swap_max", "1073741824")), 1ull << 30);
    EXPECT_EQ(as<std::vector<std::string>>(parseSpecValue("dns", "1.1.1.1, 8.8.8.8")),
              (std::vector<std::string>{"1.1.1.1", "8.8.8.8"}));
    EXPECT_EQ(as<std::vector<std::string>>(parseSpecValue("ssh_authorized_keys", "from=\"a,b\" ssh-ed25519 AAAA c")),
              (std::vector<std::string>{"from=\"a,b\" ssh-ed25519 AAAA c"}));
    EXPECT_EQ(as<std::vector<PortForward>>(parseSpecValue("ports", "tcp:8080:80,udp:5353:53")),
              (std::vector<PortForward>{{"tcp", 8080, 80}, {"udp", 5353, 53}}));
    EXPECT_EQ((as<std::map<std::string, std::string>>(parseSpecValue("tunnel", "remote=203.0.113.1,local=198.51.100.2"))),
              (std::map<std::string, std::string>{{"remote", "203.0.113.1"}, {"local", "198.51.100.2"}}));
}

TEST(ClientCliSet, BadValuesNameTheKey)
{
    const std::pair<const char*, const char*> bad[] = {
        {"ssh", "maybe"},          {"cpu_quota", "lots"},        {"cores", "-1"},
        {"vmid", "4294967296"},    {"memory_max", "8X"},         {"ports", "tcp:80"},
        {"ports", "tcp:0:80"},     {"ports", "tcp:70000:80"},    {"tunnel", "remote"},
        {"dns", "1.1.1.1,,8.8.8.8"},
    };
    for (const auto& [key, value] : bad) {
        auto r = parseSpecValue(key, value);
        ASSERT_FALSE(r.has_value()) << key << "=" << value;
        EXPECT_EQ(r.error().kind, zenith::client::ErrorKind::InvalidArgs);
        EXPECT_NE(r.error().message.find(key), std::string::npos) << r.error().message;
    }
}

TEST(ClientCliSet, UnknownKeysAndSecretsAreRefused)
{
    auto unknown = parseSpecValue("memory", "1G");
    ASSERT_FALSE(unknown.has_value());
    EXPECT_NE(unknown.error().message.find("unknown spec key 'memory'"), std::string::npos);
    EXPECT_NE(unknown.error().message.find("memory_max"), std::string::npos);  // lists the known keys

    for (const char* secret : {"password", "wireguard_config"}) {
        auto r = parseSpecValue(secret, "hunter2");
        ASSERT_FALSE(r.has_value());
        EXPECT_NE(r.error().message.find(secret), std::string::npos);
        EXPECT_EQ(r.error().message.find("hunter2"), std::string::npos);  // never echoed
    }
}

TEST(ClientCliSet, AssignmentsNeedKeyAndEquals)
{
    EXPECT_EQ(zenithctl::splitAssignment("a=b=c").value(), (std::pair<std::string, std::string>{"a", "b=c"}));
    EXPECT_EQ(zenithctl::splitAssignment("dns=").value().second, "");
    EXPECT_FALSE(zenithctl::splitAssignment("novalue").has_value());
    EXPECT_FALSE(zenithctl::splitAssignment("=x").has_value());
}

TEST(ClientCliSpec, DedicatedOptionsThenSetsMerge)
{
    zenithctl::SpecOptions o;
    o.release = "bullseye";
    o.memory = "1G";
    o.cpu = "200%";
    o.cores = 2;
    o.dns = {"1.1.1.1"};
    o.sshKeys = {"ssh-ed25519 AAAA one"};
    o.sets = {"dns=9.9.9.9", "release=bookworm", "ssh_authorized_keys=ssh-ed25519 BBBB two", "ports=tcp:2222:22"};
    auto spec = zenithctl::buildSpec(o);
    ASSERT_TRUE(spec.has_value()) << spec.error().message;
    EXPECT_EQ(std::get<std::string>(*spec->get("release")), "bookworm");  // --set wins
    EXPECT_EQ(std::get<uint64_t>(*spec->get("memory_max")), 1ull << 30);
    EXPECT_EQ(std::get<uint32_t>(*spec->get("cpu_quota")), 200u);
    EXPECT_EQ(std::get<uint32_t>(*spec->get("cores")), 2u);
    EXPECT_EQ(std::get<std::vector<std::string>>(*spec->get("dns")),
              (std::vector<std::string>{"1.1.1.1", "9.9.9.9"}));  // lists append
    EXPECT_EQ(std::get<std::vector<std::string>>(*spec->get("ssh_authorized_keys")).size(), 2u);
    EXPECT_FALSE(spec->contains("password"));
    EXPECT_EQ(spec->values().size(), 7u);
}

TEST(ClientCliSpec, SshKeyFileContributesEveryKeyLine)
{
    char path[] = "/tmp/zenith-keys-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    std::ofstream(path) << "# comment\nssh-ed25519 AAAA one\n\nssh-rsa BBBB two\n";
    zenithctl::SpecOptions o;
    o.sshKeys = {path};
    auto spec = zenithctl::buildSpec(o);
    std::remove(path);
    ASSERT_TRUE(spec.has_value());
    EXPECT_EQ(std::get<std::vector<std::string>>(*spec->get("ssh_authorized_keys")),
              (std::vector<std::string>{"ssh-ed25519 AAAA one", "ssh-rsa BBBB two"}));
}

TEST(ClientCliSpec, ProxmoxOptionsAndMemInMiB)
{
    zenithctl::SpecOptions o;
    o.vmid = 9101;
    o.node = "pve1";
    o.storage = "local-zfs";
    o.lastOctet = 91;
    o.memoryMiB = "2048";
    auto spec = zenithctl::buildSpec(o);
    ASSERT_TRUE(spec.has_value()) << spec.error().message;
    EXPECT_EQ(std::get<uint32_t>(*spec->get("vmid")), 9101u);
    EXPECT_EQ(std::get<std::string>(*spec->get("node")), "pve1");
    EXPECT_EQ(std::get<std::string>(*spec->get("storage")), "local-zfs");
    EXPECT_EQ(std::get<uint32_t>(*spec->get("last_octet")), 91u);
    EXPECT_EQ(std::get<uint64_t>(*spec->get("memory_max")), 2ull << 30);
    EXPECT_EQ(spec->values().size(), 5u);

    o.memoryMiB = "much";
    auto bad = zenithctl::buildSpec(o);
    ASSERT_FALSE(bad.has_value());
    EXPECT_NE(bad.error().message.find("memory_max"), std::string::npos);
}

// create registers the same options as clone (SpecOptionSet::Machine).
TEST(ClientCliSpec, CommandLineOptionsOfCreate)
{
    CLI::App app;
    zenithctl::SpecOptions o;
    zenithctl::addSpecOptions(app, o);
    app.parse("--ip 10.1.10.91 --vmid 9101 --node pve1 --storage local-zfs --mem 2048 --cores 2", false);
    EXPECT_EQ(o.vmid, 9101u);
    EXPECT_EQ(o.ipv4, "10.1.10.91");
    EXPECT_EQ(o.node, "pve1");
    EXPECT_EQ(o.storage, "local-zfs");
    EXPECT_EQ(o.memoryMiB, "2048");
    EXPECT_EQ(o.cores, 2u);

    auto parsed = [](const std::string& line) {
        CLI::App app;
        zenithctl::SpecOptions o;
        zenithctl::addSpecOptions(app, o);
        app.parse(line, false);
        return o;
    };
    EXPECT_EQ(parsed("--last-octet 91").lastOctet, 91u);
    EXPECT_EQ(parsed("--ipv4 auto").ipv4, "auto");
    EXPECT_THROW(parsed("--vmid 99"), CLI::ValidationError);
    EXPECT_THROW(parsed("--last-octet 255"), CLI::ValidationError);
    EXPECT_THROW(parsed("--ip 10.1.10.91 --last-octet 91"), CLI::ExcludesError);
    EXPECT_THROW(parsed("--mem 2048 --memory 2G"), CLI::ExcludesError);

    zenithctl::SpecOptions again;

    // cloudpod: its arguments give template, vmid and address.
    CLI::App cloudpod;
    zenithctl::addSpecOptions(cloudpod, again, zenithctl::SpecOptionSet::CloudPod);
    for (const char* option : {"--template", "--vmid", "--ip", "--ipv4", "--last-octet"})
        EXPECT_EQ(cloudpod.get_option_no_throw(option), nullptr) << option;
    EXPECT_NE(cloudpod.get_option_no_throw("--mem"), nullptr);
    EXPECT_NE(cloudpod.get_option_no_throw("--node"), nullptr);
}

TEST(ClientCliSpec, FirstBadOptionStopsTheBuild)
{
    zenithctl::SpecOptions o;
    o.disk = "lots";
    auto spec = zenithctl::buildSpec(o);
    ASSERT_FALSE(spec.has_value());
    EXPECT_NE(spec.error().message.find("disk_max"), std::string::npos);
}

}  // namespace
