// The cluster extension through the bus facade: ListNodes, ListStorages,
// GetHealth, ListBackups, BackupMachine and DestroyMachine's BACKUP_FIRST
// flag. The shared FakeDriver is an nspawn backend, which has no nodes and
// no backups: what is checked here is the facade's part (signatures, the
// polkit verbs and details, validation before polkit, NotSupported named,
// the BACKUP_FIRST bit reaching destroy and no other operation). Answers
// with data: the bus-proxmox tier (tests/bus/proxmox/cluster_test.cpp),
// against the Proxmox simulator.
#include <gtest/gtest.h>

#include "dbus_service_fixture.h"

namespace zenith::unittest {
namespace {

constexpr const char* kNotSupported = "org.freedesktop.DBus.Error.NotSupported";
constexpr const char* kInvalidArgs = "org.freedesktop.DBus.Error.InvalidArgs";
constexpr const char* kAccessDenied = "org.freedesktop.DBus.Error.AccessDenied";
constexpr const char* kNoSuchMachine = "org.zenith.Provisioner.Error.NoSuchMachine";
constexpr uint64_t kBackupFirst = 8;

using NodeRow = sdbus::Struct<std::string, std::string, std::string, uint32_t, uint64_t, uint64_t, uint64_t>;
using StorageRow = sdbus::Struct<std::string, std::string, std::string, std::string, std::vector<std::string>, bool,
                                 bool, uint64_t, uint64_t>;
using BackupRow = sdbus::Struct<std::string, std::string, std::string, std::string, uint64_t, uint64_t, std::string>;

class DbusClusterTest : public DbusServiceTest {
protected:
    // The bus error name of Manager.METHOD(args...), "" when it answered
    // (its reply read as `Reply`).
    template <typename Reply, typename... Args>
    std::string call(const char* method, std::string* message, const Args&... args)
    {
        return errorOf(
            [&] {
                Reply reply;
                manager->callMethod(method).onInterface(kManager).withArguments(args...).storeResultsTo(reply);
            },
            message);
    }
    std::string listNodes(const std::string& backend, std::string* message = nullptr)
    {
        return call<std::vector<NodeRow>>("ListNodes", message, backend);
    }
    std::string listStorages(const std::string& backend)
    {
        return call<std::vector<StorageRow>>("ListStorages", nullptr, backend);
    }
    std::string getHealth(const std::string& name, std::string* message = nullptr)
    {
        return call<std::map<std::string, sdbus::Variant>>("GetHealth", message, name);
    }
    std::string listBackups(const std::string& name)
    {
        return call<std::vector<BackupRow>>("ListBackups", nullptr, name);
    }
    std::string backupMachine(const std::string& name, const std::map<std::string, sdbus::Variant>& options,
                              uint64_t flags = 0, std::string* message = nullptr)
    {
        return call<sdbus::ObjectPath>("BackupMachine", message, name, options, flags);
    }
    std::string simpleCall(const char* method, const std::string& name, uint64_t flags, std::string* message = nullptr)
    {
        return call<sdbus::ObjectPath>(method, message, name, flags);
    }
    // A stopped nspawn machine named `name`.
    void madeStopped(const std::string& name)
    {
        auto [machinePath, jobPath] = create(name, {}, 2);
        ASSERT_TRUE(waitSignal(jobPath, "Completed"));
        ASSERT_TRUE(engine->machine(name));
    }
};

TEST_F(DbusClusterTest, IntrospectionShowsTheExtensionWithItsSignatures)
{
    std::string xml;
    manager->callMethod("Introspect").onInterface("org.freedesktop.DBus.Introspectable").storeResultsTo(xml);
    for (const char* piece :
         {"<method name=\"ListNodes\">", "type=\"a(sssuttt)\"", "<method name=\"ListStorages\">",
          "type=\"a(ssssasbbtt)\"", "<method name=\"GetHealth\">", "name=\"health\"",
          "<method name=\"ListBackups\">", "type=\"a(sssstts)\"", "<method name=\"BackupMachine\">",
          "name=\"options\""})
        EXPECT_NE(xml.find(piece), std::string::npos) << piece;
}

TEST_F(DbusClusterTest, NodesAndStoragesOfABackendWithoutThemAreNotSupported)
{
    std::string message;
    EXPECT_EQ(listNodes("nspawn", &message), kNotSupported);
    EXPECT_NE(message.find("nspawn"), std::string::npos) << message;
    EXPECT_EQ(listStorages("nspawn"), kNotSupported);
    EXPECT_EQ(listNodes("xen"), kInvalidArgs);

    auto asked = authorizer->asked();
    ASSERT_EQ(asked.size(), 3u);
    EXPECT_EQ(asked[0].second.action, "read");
    EXPECT_EQ(asked[0].second.verb, "list-nodes");
    EXPECT_EQ(asked[0].second.backend, "nspawn");
    EXPECT_EQ(asked[0].second.machine, "");
    EXPECT_EQ(asked[1].second.action, "read");
    EXPECT_EQ(asked[1].second.verb, "list-storages");
}

TEST_F(DbusClusterTest, MachineReadsCheckTheNameFirstThenAskWithTheMachinesBackend)
{
    // A bad name is refused before polkit is asked, a missing machine after.
    EXPECT_EQ(getHealth("Bad_Name"), kInvalidArgs);
    EXPECT_EQ(listBackups(std::string(300, 'a')), kInvalidArgs);
    EXPECT_EQ(authorizer->count(), 0u);
    EXPECT_EQ(getHealth("nope"), kNoSuchMachine);
    EXPECT_EQ(listBackups("nope"), kNoSuchMachine);

    madeStopped("box1");
    const size_t before = authorizer->count();
    std::string message;
    EXPECT_EQ(getHealth("box1", &message), kNotSupported);
    EXPECT_NE(message.find("nspawn"), std::string::npos) << message;
    EXPECT_EQ(listBackups("box1"), kNotSupported);
    auto asked = authorizer->asked();
    ASSERT_EQ(asked.size(), before + 2);
    EXPECT_EQ(asked[before].second.action, "read");
    EXPECT_EQ(asked[before].second.verb, "health");
    EXPECT_EQ(asked[before].second.machine, "box1");
    EXPECT_EQ(asked[before].second.backend, "nspawn");
    EXPECT_EQ(asked[before + 1].second.verb, "list-backups");
    EXPECT_EQ(asked[before + 1].second.machine, "box1");
}

TEST_F(DbusClusterTest, DeniedReadIsAccessDenied)
{
    madeStopped("box2");
    authorizer->denyWith({core::ErrorCode::AccessDenied, "org.zenith.provisioner.read is not allowed by polkit"});
    EXPECT_EQ(listNodes("nspawn"), kAccessDenied);
    EXPECT_EQ(getHealth("box2"), kAccessDenied);
    EXPECT_EQ(listBackups("box2"), kAccessDenied);
    auto a = audit();
    ASSERT_FALSE(a.empty());
    EXPECT_EQ(a.back().outcome, "denied");
}

TEST_F(DbusClusterTest, BackupOnABackendWithoutBackupsIsNotSupportedBeforePolkitAndStartsNoJob)
{
    madeStopped("box3");
    const size_t askedBefore = authorizer->count();
    const size_t jobsBefore = engine->jobs().size();
    std::string message;
    EXPECT_EQ(backupMachine("box3", {{"mode", sdbus::Variant(std::string("snapshot"))}}, 0, &message), kNotSupported);
    EXPECT_NE(message.find("backup"), std::string::npos) << message;
    EXPECT_EQ(backupMachine("box3", {}, 4), kNotSupported) << "DRY_RUN asks the backend too";
    EXPECT_EQ(backupMachine("Bad_Name", {}), kInvalidArgs);
    EXPECT_EQ(backupMachine("nope", {}), kNoSuchMachine);
    // Unknown flag bits, BACKUP_FIRST among them, are the operation's to refuse.
    EXPECT_EQ(backupMachine("box3", {}, kBackupFirst), kInvalidArgs);
    EXPECT_EQ(authorizer->count(), askedBefore);
    EXPECT_EQ(engine->jobs().size(), jobsBefore);
    auto a = audit();
    ASSERT_FALSE(a.empty());
    EXPECT_EQ(a.back().outcome, "invalid");
    EXPECT_EQ(a.back().verb, "backup");
}

TEST_F(DbusClusterTest, BackupFirstReachesDestroyOnlyAndIsNotSupportedWithoutBackups)
{
    madeStopped("box4");
    const size_t askedBefore = authorizer->count();
    std::string message;
    // Let through to the destroy operation, which asks the backend: not
    // InvalidArgs (an unknown bit), but NotSupported, and nothing destroyed.
    EXPECT_EQ(simpleCall("DestroyMachine", "box4", kBackupFirst, &message), kNotSupported);
    EXPECT_NE(message.find("BACKUP_FIRST"), std::string::npos) << message;
    EXPECT_EQ(simpleCall("DestroyMachine", "box4", kBackupFirst | 1), kNotSupported);
    // Every other operation refuses the bit as unknown.
    EXPECT_EQ(simpleCall("StartMachine", "box4", kBackupFirst), kInvalidArgs);
    EXPECT_EQ(simpleCall("StopMachine", "box4", kBackupFirst), kInvalidArgs);
    EXPECT_EQ(simpleCall("MakeTemplate", "box4", kBackupFirst), kInvalidArgs);
    EXPECT_EQ(errorOf([&] { create("box5", {}, kBackupFirst); }), kInvalidArgs);
    EXPECT_EQ(authorizer->count(), askedBefore);
    EXPECT_TRUE(engine->machine("box4"));
    EXPECT_EQ(driver->calls(testsupport::FakeOp::Destroy), 0);
    // A destroy without the bit still works.
    auto job = destroy("box4");
    ASSERT_TRUE(waitSignal(job, "Completed"));
    EXPECT_FALSE(engine->machine("box4"));
}

}  // namespace
}  // namespace zenith::unittest
