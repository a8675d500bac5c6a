// Bad input is refused with InvalidArgs naming the key, before anything is
// made: no machine object, no root file system, no job. DRY_RUN validates
// and authorizes but changes nothing either.
#include <gtest/gtest.h>

#include "daemon_view.h"
#include "sandbox_env.h"

namespace zenith::bustest {
namespace {

struct BadCreate {
    const char* what;
    std::string name;
    std::string backend;
    std::map<std::string, sdbus::Variant> spec;
    uint64_t flags;
    std::string key;  // must appear in the error message
};

std::vector<BadCreate> badCreates()
{
    auto bookworm = [](std::map<std::string, sdbus::Variant> extra) {
        extra.emplace("release", sdbus::Variant(std::string("bookworm")));
        return extra;
    };
    return {
        {"name with capitals", "Bad_Name", "nspawn", bookworm({}), 2, "name"},
        {"name starting with a digit", "9lives", "nspawn", bookworm({}), 2, "name"},
        {"unknown spec key", "bad-key", "nspawn", bookworm({{"colour", sdbus::Variant(std::string("blue"))}}), 2,
         "colour"},
        {"wrong type", "bad-type", "nspawn", bookworm({{"memory_max", sdbus::Variant(std::string("1G"))}}), 2,
         "memory_max"},
        {"memory below range", "bad-mem", "nspawn", bookworm({{"memory_max", sdbus::Variant(uint64_t{1024})}}), 2,
         "memory_max"},
        {"cpu above range", "bad-cpu", "nspawn", bookworm({{"cpu_quota", sdbus::Variant(uint32_t{5000})}}), 2,
         "cpu_quota"},
        {"unknown flag bit", "bad-flags", "nspawn", bookworm({}), 2 | (1u << 9), "flags"},
        {"unknown backend", "bad-backend", "vmware", bookworm({}), 2, "backend"},
        {"unknown release", "bad-release", "nspawn",
         {{"release", sdbus::Variant(std::string("potato-99"))}}, 2, "release"},
        {"name longer than 63", "a" + std::string(63, 'b'), "nspawn", bookworm({}), 2, "name"},
        {"name with a dot", "web.1", "nspawn", bookworm({}), 2, "name"},
        {"unknown distro", "bad-distro", "nspawn", bookworm({{"distro", sdbus::Variant(std::string("gentoo"))}}), 2,
         "distro"},
        {"disk above range", "bad-disk", "nspawn", bookworm({{"disk_max", sdbus::Variant(uint64_t{1} << 40)}}), 2,
         "disk_max"},
        {"cpu below range", "bad-cpu-low", "nspawn", bookworm({{"cpu_quota", sdbus::Variant(uint32_t{10})}}), 2,
         "cpu_quota"},
        {"wrong element type", "bad-dns", "nspawn", bookworm({{"dns", sdbus::Variant(std::string("10.0.0.1"))}}), 2,
         "dns"},
        {"unknown key of another type", "bad-key-u", "nspawn", bookworm({{"colour", sdbus::Variant(uint32_t{3})}}), 2,
         "colour"},
    };
}

TEST(BadInput, IsInvalidArgsNamingTheKeyAndChangesNothing)
{
    for (const auto& bad : badCreates()) {
        SCOPED_TRACE(bad.what);
        auto jobsBefore = jobIds();
        auto machinesBefore = machineNames();

        auto error = rawCreate(bad.name, bad.backend, bad.spec, bad.flags);

        ASSERT_TRUE(error.has_value()) << "CreateMachine(" << bad.name << ") was accepted";
        EXPECT_EQ(error->name, kInvalidArgs);
        EXPECT_NE(error->message.find(bad.key), std::string::npos)
            << "message does not name '" << bad.key << "': " << error->message;
        EXPECT_EQ(jobIds(), jobsBefore) << "a job was started";
        EXPECT_EQ(machineNames(), machinesBefore) << "a machine appeared";
        EXPECT_FALSE(rootfsExists(bad.name));
    }
}

TEST(BadInput, LibclientKeepsTheDaemonsErrorName)
{
    auto c = connectClient();
    client::Spec spec = bookwormSpec();
    spec.setMemoryMax(1024);
    auto made = c.create("bad-mem-lib", "nspawn", spec, client::kFlagNoStart);
    ASSERT_FALSE(made.has_value());
    EXPECT_EQ(made.error().kind, client::ErrorKind::InvalidArgs);
    EXPECT_EQ(made.error().name, kInvalidArgs);
    EXPECT_NE(made.error().message.find("memory_max"), std::string::npos) << made.error().message;
    EXPECT_FALSE(machineOnBus("bad-mem-lib"));
}

TEST(BadInput, CloneAndDestroyAreCheckedToo)
{
    auto c = connectClient();
    auto jobsBefore = jobIds();
    auto machinesBefore = machineNames();

    auto badName = c.clone("no-such-source", "Bad_Clone", client::Spec{}, client::kFlagNoStart);
    ASSERT_FALSE(badName.has_value());
    EXPECT_EQ(badName.error().name, kInvalidArgs) << badName.error().message;

    client::Spec tooMuch;
    tooMuch.setMemoryMax(64ull << 30);
    auto badOverride = c.clone("no-such-source", "fine-clone", tooMuch, client::kFlagNoStart);
    ASSERT_FALSE(badOverride.has_value());
    EXPECT_EQ(badOverride.error().name, kInvalidArgs) << badOverride.error().message;
    EXPECT_NE(badOverride.error().message.find("memory_max"), std::string::npos) << badOverride.error().message;

    auto badFlags = c.destroy("no-such-machine", 1u << 9);
    ASSERT_FALSE(badFlags.has_value());
    EXPECT_EQ(badFlags.error().name, kInvalidArgs);
    EXPECT_NE(badFlags.error().message.find("flags"), std::string::npos) << badFlags.error().message;

    auto missing = c.destroy("no-such-machine", 0);
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().kind, client::ErrorKind::NoSuchMachine) << missing.error().message;

    EXPECT_EQ(jobIds(), jobsBefore);
    EXPECT_EQ(machineNames(), machinesBefore);
    EXPECT_FALSE(rootfsExists("Bad_Clone"));
    EXPECT_FALSE(rootfsExists("fine-clone"));
}

TEST(DryRun, RootIsAuthorizedAndNothingIsMade)
{
    auto c = connectClient();
    auto made = c.create("dry-box", "nspawn", bookwormSpec(), client::kFlagDryRun);
    ASSERT_TRUE(made.has_value()) << callErrorText(made.error());
    auto result = made->job.wait({}, std::chrono::seconds(30));
    ASSERT_TRUE(result.has_value()) << callErrorText(result.error());
    EXPECT_EQ(result->result, "done");
    EXPECT_EQ(result->operation, "create");
    EXPECT_FALSE(result->message.empty()) << "DRY_RUN's plan belongs in the job's Message";
    EXPECT_FALSE(machineOnBus("dry-box"));
    EXPECT_FALSE(rootfsExists("dry-box"));
}

}  // namespace
}  // namespace zenith::bustest
