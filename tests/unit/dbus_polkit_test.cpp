// What the daemon asks polkit and how it reads the answer (the live polkitd
// path is covered by tests/bus).
#include <gtest/gtest.h>

#include "core/ops/operation.h"
#include "dbus/polkit_authorizer.h"

using namespace zenith;
using core::ErrorCode;

TEST(DbusPolkit, ActionIds)
{
    EXPECT_EQ(dbus::polkitActionId("create"), "org.zenith.provisioner.create");
    EXPECT_EQ(dbus::polkitActionId("cancel-other"), "org.zenith.provisioner.cancel-other");
}

TEST(DbusPolkit, DetailsAlwaysNameVerbMachineBackend)
{
    dbus::AuthRequest r{"power", "stop", "web1", "nspawn", "", ""};
    auto d = dbus::polkitDetails(r);
    EXPECT_EQ(d, (std::map<std::string, std::string>{{"verb", "stop"}, {"machine", "web1"}, {"backend", "nspawn"}}));
}

TEST(DbusPolkit, DetailsAddTemplateAndNodeWhenKnown)
{
    dbus::AuthRequest r{.action = "create", .verb = "create", .machine = "web2", .backend = "proxmox-lxc",
                        .templateName = "base-web", .node = "pve2"};
    auto d = dbus::polkitDetails(r);
    EXPECT_EQ(d.at("template"), "base-web");
    EXPECT_EQ(d.at("node"), "pve2");
    EXPECT_EQ(d.size(), 5u);
}

// What a rule needs to limit who may clone whose machine, join which bridge
// or publish which host port.
TEST(DbusPolkit, RequestsCarrySourceBridgeAndHostPorts)
{
    core::Request req;
    req.operation = core::findOperation("clone");
    req.machine = "web3";
    req.backend = "nspawn";
    req.source = "cust-alice-web";
    req.bridge = "br-cust";
    req.hostPorts = {80, 8080};
    auto d = dbus::polkitDetails(dbus::authRequestFor(req));
    EXPECT_EQ(d, (std::map<std::string, std::string>{{"verb", "clone"},
                                                     {"machine", "web3"},
                                                     {"backend", "nspawn"},
                                                     {"source", "cust-alice-web"},
                                                     {"bridge", "br-cust"},
                                                     {"host_ports", "80,8080"}}));
    EXPECT_EQ(dbus::authRequestFor(req).action, "clone");
}

// A Proxmox request names its vmid, so a rule can allow a group only its own
// vmid range.
TEST(DbusPolkit, ProxmoxRequestsCarryNodeAndVmid)
{
    core::Request req;
    req.operation = core::findOperation("stop");
    req.machine = "migra-client-01";
    req.backend = "proxmox-lxc";
    req.node = "pve2";
    req.vmid = 9101;
    auto auth = dbus::authRequestFor(req);
    EXPECT_EQ(auth.action, "power");
    auto d = dbus::polkitDetails(auth);
    EXPECT_EQ(d.at("verb"), "stop");
    EXPECT_EQ(d.at("node"), "pve2");
    EXPECT_EQ(d.at("vmid"), "9101");
    req.vmid = 0;
    EXPECT_FALSE(dbus::polkitDetails(dbus::authRequestFor(req)).contains("vmid"));
}

TEST(DbusPolkit, AuthorizedPasses)
{
    EXPECT_TRUE(dbus::polkitDecision(true, false, false, "org.zenith.provisioner.create"));
    EXPECT_TRUE(dbus::polkitDecision(true, true, true, "org.zenith.provisioner.create"));
}

TEST(DbusPolkit, ChallengeWithoutInteractionNeedsInteractiveAuthorization)
{
    auto r = dbus::polkitDecision(false, true, false, "org.zenith.provisioner.destroy");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::InteractiveAuthorizationRequired);
    EXPECT_NE(r.error().message.find("org.zenith.provisioner.destroy"), std::string::npos);
}

TEST(DbusPolkit, ChallengeAfterInteractionIsDenied)
{
    // Interaction was allowed and still not authorized: the human said no.
    auto r = dbus::polkitDecision(false, true, true, "org.zenith.provisioner.destroy");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::AccessDenied);
}

TEST(DbusPolkit, NotAuthorizedIsDenied)
{
    auto r = dbus::polkitDecision(false, false, false, "org.zenith.provisioner.template");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::AccessDenied);
    EXPECT_NE(r.error().message.find("not allowed by polkit"), std::string::npos);
}
