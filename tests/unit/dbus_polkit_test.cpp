// What the daemon asks polkit and how it reads the answer (the live polkitd
// path is covered by tests/bus).
#include <gtest/gtest.h>

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
    dbus::AuthRequest r{"create", "create", "web2", "proxmox-lxc", "base-web", "pve2"};
    auto d = dbus::polkitDetails(r);
    EXPECT_EQ(d.at("template"), "base-web");
    EXPECT_EQ(d.at("node"), "pve2");
    EXPECT_EQ(d.size(), 5u);
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
