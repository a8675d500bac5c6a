// dbus-policy/org.zenith.Provisioner.conf as loaded by a bus with the real
// system bus's default-deny policy: only root may own the name, and every
// interface of the service is callable by anyone - refusing is polkit's job,
// so an answer to an unprivileged caller must never be the bus's own
// "Rejected send message".
#include <gtest/gtest.h>

#include <functional>

#include <sdbus-c++/sdbus-c++.h>

#include "child_process.h"
#include "daemon_view.h"
#include "sandbox_env.h"

namespace zenith::bustest {
namespace {

constexpr const char* kService = "org.zenith.Provisioner";

TEST(BusPolicy, OnlyRootMayOwnTheName)
{
    std::string answer = runAs(automationUser(), [] {
        auto connection = sdbus::createSystemBusConnection();
        try {
            connection->requestName(kService);
            return std::string("owned");
        } catch (const sdbus::Error& e) {
            return e.getName();
        }
    });
    EXPECT_EQ(answer, kAccessDenied);
}

// Each call as the outsider: "ok" or the error name and message.
std::string callAsOutsider(const std::function<void(sdbus::IConnection&)>& call)
{
    return runAs(outsiderUser(), [&] {
        auto connection = sdbus::createSystemBusConnection();
        try {
            call(*connection);
            return std::string("ok");
        } catch (const sdbus::Error& e) {
            return e.getName() + ": " + e.getMessage();
        }
    });
}

TEST(BusPolicy, EveryInterfaceIsCallableByAnyone)
{
    const std::string name = "policy-box";
    MachineCleanup cleanup(name);
    ASSERT_EQ(createStoppedAsRoot(name), "done");
    const std::string machinePath = "/org/zenith/Provisioner/machine/policy_2dbox";

    auto onRoot = [](const char* interface, const char* method) {
        return [=](sdbus::IConnection& c) {
            sdbus::createProxy(c, kService, "/org/zenith/Provisioner")->callMethod(method).onInterface(interface);
        };
    };
    EXPECT_EQ(callAsOutsider(onRoot("org.freedesktop.DBus.Peer", "Ping")), "ok");
    EXPECT_EQ(callAsOutsider(onRoot("org.freedesktop.DBus.Introspectable", "Introspect")), "ok");
    EXPECT_EQ(callAsOutsider(onRoot("org.freedesktop.DBus.ObjectManager", "GetManagedObjects")), "ok");
    EXPECT_EQ(callAsOutsider(onRoot("org.zenith.Provisioner.Manager", "ListMachines")), "ok");
    EXPECT_EQ(callAsOutsider([&](sdbus::IConnection& c) {
                  sdbus::createProxy(c, kService, machinePath)
                      ->callMethod("GetAll")
                      .onInterface("org.freedesktop.DBus.Properties")
                      .withArguments(std::string("org.zenith.Provisioner.Machine"));
              }),
              "ok");

    // A privileged call on the Job interface reaches the daemon, whose
    // polkit check says no.
    auto made = connectClient().create("policy-dry", "nspawn", bookwormSpec(), client::kFlagDryRun);
    ASSERT_TRUE(made.has_value()) << callErrorText(made.error());
    std::string cancel = callAsOutsider([&](sdbus::IConnection& c) {
        sdbus::createProxy(c, kService, made->job.path())->callMethod("Cancel").onInterface("org.zenith.Provisioner.Job");
    });
    EXPECT_EQ(cancel.find("Rejected send message"), std::string::npos) << cancel;
    EXPECT_NE(cancel, "ok") << "the outsider cancelled root's job";
}

}  // namespace
}  // namespace zenith::bustest
