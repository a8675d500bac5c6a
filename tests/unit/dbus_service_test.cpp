// Requests through the bus facade: introspection, input that is refused
// before polkit is asked, polkit's refusals, DRY_RUN, named errors and
// reads. Jobs on the bus: dbus_service_job_test.cpp.
#include <gtest/gtest.h>

#include <unistd.h>

#include "dbus_service_fixture.h"

namespace zenith::unittest {
namespace {

using core::ErrorCode;

TEST_F(DbusServiceTest, IntrospectionShowsTheContractWithArgumentNames)
{
    std::string xml;
    manager->callMethod("Introspect").onInterface("org.freedesktop.DBus.Introspectable").storeResultsTo(xml);
    EXPECT_NE(xml.find("<interface name=\"org.zenith.Provisioner.Manager\">"), std::string::npos);
    EXPECT_NE(xml.find("<interface name=\"org.freedesktop.DBus.ObjectManager\">"), std::string::npos);
    EXPECT_NE(xml.find("<method name=\"CreateMachine\">"), std::string::npos);
    EXPECT_NE(xml.find("name=\"backend\""), std::string::npos);
    EXPECT_NE(xml.find("<signal name=\"JobRemoved\">"), std::string::npos);
}

TEST_F(DbusServiceTest, UnknownSpecKeyIsInvalidArgsAndChangesNothing)
{
    std::string message;
    auto err = errorOf([&] { create("web1", {{"bogus_key", sdbus::Variant(std::string("x"))}}); }, &message);
    EXPECT_EQ(err, "org.freedesktop.DBus.Error.InvalidArgs");
    EXPECT_NE(message.find("bogus_key"), std::string::npos) << message;
    EXPECT_TRUE(engine->machines().empty());
    EXPECT_TRUE(engine->jobs().empty());
    EXPECT_EQ(authorizer->count(), 0u) << "invalid input is refused before polkit is asked";
    auto a = audit();
    ASSERT_FALSE(a.empty());
    EXPECT_EQ(a.front().outcome, "invalid");
    EXPECT_EQ(a.front().uid, ::getuid());
    EXPECT_EQ(a.front().machine, "web1");
}

TEST_F(DbusServiceTest, WrongTypeAndUnknownFlagsAreInvalidArgs)
{
    std::string message;
    EXPECT_EQ(errorOf([&] { create("web1", {{"cpu_quota", sdbus::Variant(std::vector<uint8_t>{1})}}); }, &message),
              "org.freedesktop.DBus.Error.InvalidArgs");
    EXPECT_NE(message.find("cpu_quota"), std::string::npos) << message;
    EXPECT_EQ(errorOf([&] { create("web1", {}, 64); }), "org.freedesktop.DBus.Error.InvalidArgs");
    EXPECT_EQ(errorOf([&] { create("Bad_Name", {}); }), "org.freedesktop.DBus.Error.InvalidArgs");
    EXPECT_TRUE(engine->machines().empty());
}

TEST_F(DbusServiceTest, DeniedRequestIsAccessDeniedAuditedAndChangesNothing)
{
    authorizer->denyWith({ErrorCode::AccessDenied, "org.zenith.provisioner.create is not allowed by polkit"});
    EXPECT_EQ(errorOf([&] { create("web1", {{"release", sdbus::Variant(std::string("bookworm"))}}); }),
              "org.freedesktop.DBus.Error.AccessDenied");
    EXPECT_TRUE(engine->machines().empty());
    EXPECT_TRUE(engine->jobs().empty());
    EXPECT_EQ(driver->calls(testsupport::FakeOp::Create), 0);
    auto asked = authorizer->asked();
    ASSERT_EQ(asked.size(), 1u);
    const auto& [caller, req] = asked.front();
    EXPECT_EQ(caller.uid, ::getuid());
    EXPECT_EQ(caller.sender, clientConn->getUniqueName());
    EXPECT_FALSE(caller.allowInteractive);
    EXPECT_EQ(req.action, "create");
    EXPECT_EQ(req.verb, "create");
    EXPECT_EQ(req.machine, "web1");
    EXPECT_EQ(req.backend, "nspawn");
    auto a = audit();
    ASSERT_FALSE(a.empty());
    EXPECT_EQ(a.front().outcome, "denied");
}

TEST_F(DbusServiceTest, InteractiveAuthorizationRequiredReachesTheCaller)
{
    authorizer->denyWith({ErrorCode::InteractiveAuthorizationRequired, "needs a password"});
    EXPECT_EQ(errorOf([&] { create("web1", {}); }), "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired");
    EXPECT_TRUE(engine->machines().empty());
}

TEST_F(DbusServiceTest, PowerVerbsReachPolkitApartInsideOneAction)
{
    // One polkit action (power) for both; the verb detail tells them apart,
    // so a rule can allow start and not stop.
    auto [machinePath, jobPath] = create("pow", {}, 2);
    ASSERT_TRUE(waitSignal(jobPath, "Completed"));
    for (const char* method : {"StartMachine", "StopMachine"}) {
        sdbus::ObjectPath job;
        manager->callMethod(method).onInterface(kManager).withArguments(std::string("pow"), uint64_t(0)).storeResultsTo(job);
        ASSERT_TRUE(waitSignal(job, "Completed"));
    }
    auto asked = authorizer->asked();
    ASSERT_EQ(asked.size(), 3u);
    EXPECT_EQ(asked[1].second.action, "power");
    EXPECT_EQ(asked[1].second.verb, "start");
    EXPECT_EQ(asked[2].second.action, "power");
    EXPECT_EQ(asked[2].second.verb, "stop");
}

TEST_F(DbusServiceTest, DryRunCompletesAtOnceWithThePlanAndCreatesNothing)
{
    auto [machinePath, jobPath] = create("web2", {}, 4);
    ASSERT_TRUE(waitSignal(jobPath, "Completed"));
    EXPECT_FALSE(engine->machine("web2"));
    EXPECT_EQ(driver->calls(testsupport::FakeOp::Create), 0);
    EXPECT_NE(property<std::string>(jobPath, kJob, "Message").find("would create web2"), std::string::npos);
    auto progress = signalsOn(jobPath, "ProgressChanged");
    ASSERT_EQ(progress.size(), 1u) << "the final progress is always signalled";
    EXPECT_DOUBLE_EQ(progress[0].progress, 1.0);
}

TEST_F(DbusServiceTest, NamedErrorsForWhatDoesNotExist)
{
    EXPECT_EQ(errorOf([&] { cancelJob(77); }), "org.zenith.Provisioner.Error.NoSuchJob");
    EXPECT_EQ(errorOf([&] {
                  sdbus::ObjectPath p;
                  manager->callMethod("GetMachine").onInterface(kManager).withArguments(std::string("nope")).storeResultsTo(p);
              }),
              "org.zenith.Provisioner.Error.NoSuchMachine");
    EXPECT_EQ(errorOf([&] { destroy("nope"); }), "org.zenith.Provisioner.Error.NoSuchMachine");
}

TEST_F(DbusServiceTest, ListImagesAnswersFromTheDriver)
{
    std::vector<sdbus::Struct<std::string, std::string, std::string, uint64_t>> images;
    manager->callMethod("ListImages").onInterface(kManager).withArguments(std::string("nspawn")).storeResultsTo(images);
    ASSERT_EQ(images.size(), 1u);
    EXPECT_EQ(std::get<0>(images[0]), "debian-bookworm-amd64");
    EXPECT_EQ(std::get<3>(images[0]), 1234u);
    EXPECT_EQ(errorOf([&] {
                  manager->callMethod("ListImages").onInterface(kManager).withArguments(std::string("xen")).storeResultsTo(images);
              }),
              "org.freedesktop.DBus.Error.InvalidArgs");
}

}  // namespace
}  // namespace zenith::unittest
