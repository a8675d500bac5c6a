// The CloudPods fast path of zenithctl, up to the bus (planClone: the
// CloneMachine call run() would make, nothing sent): `clone` with
// cloudpod-create.sh's --vmid/--ip/--cores/--mem, and `cloudpod VMID NAME
// LAST_OCTET`, with its numbers checked before any bus call.
#include <gtest/gtest.h>

#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app.h"
#include "zenith/client/types.h"

namespace {

using zenithctl::CloneCall;

struct Planned {
    int code;
    CloneCall call;
    std::string out, err;
};

Planned plan(std::vector<std::string> args)
{
    args.insert(args.begin(), "zenithctl");
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    std::ostringstream out, err;
    auto* savedOut = std::cout.rdbuf(out.rdbuf());
    auto* savedErr = std::cerr.rdbuf(err.rdbuf());
    Planned p{};
    p.code = zenithctl::planClone(static_cast<int>(args.size()), argv.data(), p.call);
    std::cout.rdbuf(savedOut);
    std::cerr.rdbuf(savedErr);
    p.out = out.str();
    p.err = err.str();
    return p;
}

template <typename T>
T value(const CloneCall& c, const char* key)
{
    const auto* v = c.overrides.get(key);
    EXPECT_NE(v, nullptr) << key;
    if (!v)
        return T{};
    EXPECT_TRUE(std::holds_alternative<T>(*v)) << key << ": wrong type";
    return std::holds_alternative<T>(*v) ? std::get<T>(*v) : T{};
}

TEST(ClientCliCloudPod, CloneTakesTheScriptsOptions)
{
    auto p = plan({"clone", "cloudpod-template", "migra-client-01", "--vmid", "9101", "--ip", "10.1.10.91", "--cores",
                   "2", "--mem", "2048"});
    ASSERT_EQ(p.code, 0) << p.err;
    EXPECT_EQ(p.call.source, "cloudpod-template");
    EXPECT_EQ(p.call.name, "migra-client-01");
    EXPECT_EQ(value<uint32_t>(p.call, "vmid"), 9101u);
    EXPECT_EQ(value<std::string>(p.call, "ipv4"), "10.1.10.91");  // as given: the daemon judges the /len
    EXPECT_EQ(value<uint32_t>(p.call, "cores"), 2u);
    EXPECT_EQ(value<uint64_t>(p.call, "memory_max"), 2147483648ull);  // --mem 2048: MiB
    EXPECT_EQ(p.call.overrides.values().size(), 4u);
    EXPECT_EQ(p.call.flags, 0u);
}

TEST(ClientCliCloudPod, CloneTakesNodeStorageAndLastOctet)
{
    auto p = plan({"clone", "cloudpod-template", "web2", "--node", "pve2", "--storage", "local-zfs", "--last-octet",
                   "92", "--mem", "1.5G", "--no-start"});
    ASSERT_EQ(p.code, 0) << p.err;
    EXPECT_EQ(value<std::string>(p.call, "node"), "pve2");
    EXPECT_EQ(value<std::string>(p.call, "storage"), "local-zfs");
    EXPECT_EQ(value<uint32_t>(p.call, "last_octet"), 92u);
    EXPECT_EQ(value<uint64_t>(p.call, "memory_max"), 3ull << 29);  // with a unit: as --memory
    EXPECT_FALSE(p.call.overrides.contains("ipv4"));
    EXPECT_EQ(p.call.flags, zenith::client::kFlagNoStart);

    auto ipv4 = plan({"clone", "a", "b", "--ipv4", "10.1.10.91/24", "--memory", "2048"});
    ASSERT_EQ(ipv4.code, 0) << ipv4.err;
    EXPECT_EQ(value<std::string>(ipv4.call, "ipv4"), "10.1.10.91/24");
    EXPECT_EQ(value<uint64_t>(ipv4.call, "memory_max"), 2048u);  // --memory: a bare number stays bytes
}

TEST(ClientCliCloudPod, CloneRefusesBadOrConflictingOptions)
{
    for (auto args : {std::vector<std::string>{"clone", "a", "b", "--vmid", "99"},
                      std::vector<std::string>{"clone", "a", "b", "--vmid", "1000000000"},
                      std::vector<std::string>{"clone", "a", "b", "--last-octet", "0"},
                      std::vector<std::string>{"clone", "a", "b", "--last-octet", "255"},
                      std::vector<std::string>{"clone", "a", "b", "--ip", "10.1.10.91", "--last-octet", "91"},
                      std::vector<std::string>{"clone", "a", "b", "--mem", "2048", "--memory", "2G"},
                      std::vector<std::string>{"clone", "a", "b", "--mem", "lots"}}) {
        auto p = plan(args);
        EXPECT_EQ(p.code, 2) << args[3] << " " << args[4];
        EXPECT_FALSE(p.err.empty());
    }
}

TEST(ClientCliCloudPod, PositionalShorthandClonesTheTemplate)
{
    auto p = plan({"cloudpod", "9101", "migra-client-01", "91"});
    ASSERT_EQ(p.code, 0) << p.err;
    EXPECT_EQ(p.call.source, "cloudpod-template");
    EXPECT_EQ(p.call.name, "migra-client-01");
    EXPECT_EQ(value<uint32_t>(p.call, "vmid"), 9101u);
    EXPECT_EQ(value<uint32_t>(p.call, "last_octet"), 91u);
    EXPECT_EQ(p.call.overrides.values().size(), 2u);
    EXPECT_EQ(p.call.flags, 0u);
}

TEST(ClientCliCloudPod, ShorthandTakesTemplateAndSpecOptions)
{
    auto p = plan({"cloudpod", "9102", "migra-client-02", "92", "--template", "cloudpod-bookworm", "--cores", "2",
                   "--mem", "2048", "--node", "pve1", "--set", "nesting=yes", "--dry-run"});
    ASSERT_EQ(p.code, 0) << p.err;
    EXPECT_EQ(p.call.source, "cloudpod-bookworm");
    EXPECT_EQ(value<uint32_t>(p.call, "vmid"), 9102u);
    EXPECT_EQ(value<uint32_t>(p.call, "last_octet"), 92u);
    EXPECT_EQ(value<uint32_t>(p.call, "cores"), 2u);
    EXPECT_EQ(value<uint64_t>(p.call, "memory_max"), 2ull << 30);
    EXPECT_EQ(value<std::string>(p.call, "node"), "pve1");
    EXPECT_TRUE(value<bool>(p.call, "nesting"));
    EXPECT_FALSE(p.call.overrides.contains("template"));  // --template is the source, not a spec key
    EXPECT_EQ(p.call.flags, zenith::client::kFlagDryRun);
}

TEST(ClientCliCloudPod, BadVmidIsAUsageError)
{
    for (const char* vmid : {"99", "0", "1000000000", "4294967296", "abc", "-1", "9101x"}) {
        auto p = plan({"cloudpod", vmid, "migra-client-01", "91"});
        EXPECT_EQ(p.code, 2) << vmid;
        EXPECT_NE(p.err.find("VMID"), std::string::npos) << p.err;
        EXPECT_NE(p.err.find("100-999999999"), std::string::npos) << p.err;
    }
    for (const char* vmid : {"100", "999999999"})
        EXPECT_EQ(plan({"cloudpod", vmid, "migra-client-01", "91"}).code, 0) << vmid;
}

TEST(ClientCliCloudPod, BadLastOctetIsAUsageError)
{
    for (const char* octet : {"0", "255", "256", "x", "10.1.10.91"}) {
        auto p = plan({"cloudpod", "9101", "migra-client-01", octet});
        EXPECT_EQ(p.code, 2) << octet;
        EXPECT_NE(p.err.find("LAST_OCTET"), std::string::npos) << p.err;
        EXPECT_NE(p.err.find("1-254"), std::string::npos) << p.err;
    }
    for (const char* octet : {"1", "254"})
        EXPECT_EQ(plan({"cloudpod", "9101", "migra-client-01", octet}).code, 0) << octet;
}

TEST(ClientCliCloudPod, WithJsonABadNumberIsAnErrorEvent)
{
    auto p = plan({"--json", "cloudpod", "9101", "migra-client-01", "255"});
    EXPECT_EQ(p.code, 2);
    auto end = p.out.find_last_not_of('\n');
    ASSERT_NE(end, std::string::npos) << p.out;
    auto begin = p.out.rfind('\n', end);
    auto event = nlohmann::json::parse(p.out.substr(begin == std::string::npos ? 0 : begin + 1), nullptr, false);
    ASSERT_TRUE(event.is_object()) << p.out;
    EXPECT_EQ(event["event"], "error");
    EXPECT_EQ(event["kind"], "InvalidArgs");
    EXPECT_EQ(event["exit_code"], 2);
    EXPECT_NE(event.value("error_message", "").find("LAST_OCTET"), std::string::npos);
}

TEST(ClientCliCloudPod, ShorthandLeavesVmidAndAddressToItsArguments)
{
    for (auto option : {"--vmid", "--ip", "--ipv4", "--last-octet"}) {
        auto p = plan({"cloudpod", "9101", "migra-client-01", "91", option, "9102"});
        EXPECT_EQ(p.code, 2) << option;  // no such option here
    }
    for (auto set : {"vmid=9102", "last_octet=92", "ipv4=10.1.10.92/24"}) {
        auto p = plan({"cloudpod", "9101", "migra-client-01", "91", "--set", set});
        EXPECT_EQ(p.code, 2) << set;
        EXPECT_NE(p.err.find("VMID and LAST_OCTET"), std::string::npos) << p.err;
    }
    auto missing = plan({"cloudpod", "9101", "migra-client-01"});
    EXPECT_EQ(missing.code, 2);
    EXPECT_NE(missing.err.find("LAST_OCTET"), std::string::npos) << missing.err;
}

TEST(ClientCliCloudPod, HelpNamesTheTemplateAndTheLongForm)
{
    auto p = plan({"cloudpod", "--help"});
    EXPECT_EQ(p.code, 0);
    EXPECT_NE(p.out.find("VMID NAME LAST_OCTET"), std::string::npos) << p.out;
    EXPECT_NE(p.out.find("--template TEXT=cloudpod-template"), std::string::npos) << p.out;
    EXPECT_NE(p.out.find("zenithctl clone cloudpod-template NAME --vmid VMID --last-octet LAST_OCTET"),
              std::string::npos)
        << p.out;
    EXPECT_NE(p.out.find("Exit codes"), std::string::npos) << p.out;
}

TEST(ClientCliCloudPod, OtherCommandsPlanNothing)
{
    EXPECT_EQ(plan({"create", "web1", "--vmid", "9101"}).code, 2);
    EXPECT_EQ(plan({"list"}).code, 2);
}

}  // namespace
