// libzenith-client: every contract error name maps to its kind and back.
#include <gtest/gtest.h>

#include "zenith/client/error.h"

namespace {

using zenith::client::ErrorKind;
using zenith::client::errorKindFromName;
using zenith::client::errorNameOf;

struct NameCase {
    const char* name;
    ErrorKind kind;
};

constexpr NameCase kContract[] = {
    {"org.zenith.Provisioner.Error.NoSuchMachine", ErrorKind::NoSuchMachine},
    {"org.zenith.Provisioner.Error.MachineExists", ErrorKind::MachineExists},
    {"org.zenith.Provisioner.Error.NoSuchJob", ErrorKind::NoSuchJob},
    {"org.zenith.Provisioner.Error.NoSuchImage", ErrorKind::NoSuchImage},
    {"org.zenith.Provisioner.Error.Busy", ErrorKind::Busy},
    {"org.zenith.Provisioner.Error.NotCancelable", ErrorKind::NotCancelable},
    {"org.zenith.Provisioner.Error.Cancelled", ErrorKind::Cancelled},
    {"org.zenith.Provisioner.Error.AddressExhausted", ErrorKind::AddressExhausted},
    {"org.zenith.Provisioner.Error.BackendUnavailable", ErrorKind::BackendUnavailable},
    {"org.zenith.Provisioner.Error.BackendFailed", ErrorKind::BackendFailed},
    {"org.freedesktop.DBus.Error.InvalidArgs", ErrorKind::InvalidArgs},
    {"org.freedesktop.DBus.Error.AccessDenied", ErrorKind::AccessDenied},
    {"org.freedesktop.DBus.Error.InteractiveAuthorizationRequired", ErrorKind::InteractiveAuthorizationRequired},
    {"org.freedesktop.DBus.Error.LimitsExceeded", ErrorKind::LimitsExceeded},
    {"org.freedesktop.DBus.Error.NotSupported", ErrorKind::NotSupported},
};

TEST(ClientErrors, EveryContractNameMapsToItsKindAndBack)
{
    for (const auto& c : kContract) {
        EXPECT_EQ(errorKindFromName(c.name), c.kind) << c.name;
        EXPECT_EQ(errorNameOf(c.kind), c.name);
    }
}

TEST(ClientErrors, ShortNamesFromJobPropertiesMapToo)
{
    for (const auto& c : kContract) {
        std::string_view full = c.name;
        auto shortName = full.substr(full.rfind('.') + 1);
        EXPECT_EQ(errorKindFromName(shortName), c.kind) << shortName;
        EXPECT_EQ(zenith::client::errorKindName(c.kind), shortName);
    }
}

TEST(ClientErrors, TransportNamesAreDisconnectedOrTimeout)
{
    EXPECT_EQ(errorKindFromName("org.freedesktop.DBus.Error.ServiceUnknown"), ErrorKind::Disconnected);
    EXPECT_EQ(errorKindFromName("org.freedesktop.DBus.Error.NameHasNoOwner"), ErrorKind::Disconnected);
    EXPECT_EQ(errorKindFromName("org.freedesktop.DBus.Error.Disconnected"), ErrorKind::Disconnected);
    EXPECT_EQ(errorKindFromName("org.freedesktop.DBus.Error.NoReply"), ErrorKind::Timeout);
    EXPECT_EQ(errorKindFromName("org.freedesktop.DBus.Error.Timeout"), ErrorKind::Timeout);
}

TEST(ClientErrors, UnknownNamesAreOther)
{
    EXPECT_EQ(errorKindFromName(""), ErrorKind::Other);
    EXPECT_EQ(errorKindFromName("org.example.Error.Busy"), ErrorKind::Other);
    EXPECT_EQ(errorKindFromName("Timeout"), ErrorKind::Other);  // only the contract's own short names
    EXPECT_EQ(errorKindFromName("org.freedesktop.DBus.Error.UnknownObject"), ErrorKind::Other);
    EXPECT_EQ(errorNameOf(ErrorKind::Other), "");
}

TEST(ClientErrors, MakeErrorCarriesTheCanonicalName)
{
    auto e = zenith::client::makeError(ErrorKind::InvalidArgs, "memory_max: too small");
    EXPECT_EQ(e.name, "org.freedesktop.DBus.Error.InvalidArgs");
    EXPECT_EQ(e.message, "memory_max: too small");
}

}  // namespace
