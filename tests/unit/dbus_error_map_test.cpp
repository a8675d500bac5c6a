// The one table between core error codes and bus error names: every code
// has a distinct contract name and survives the round trip both ways.
#include <gtest/gtest.h>

#include <set>

#include "dbus/error_map.h"

using namespace zenith;
using core::ErrorCode;

namespace {

const std::vector<std::pair<ErrorCode, std::string>> kContract{
    {ErrorCode::NoSuchMachine, "org.zenith.Provisioner.Error.NoSuchMachine"},
    {ErrorCode::MachineExists, "org.zenith.Provisioner.Error.MachineExists"},
    {ErrorCode::NoSuchJob, "org.zenith.Provisioner.Error.NoSuchJob"},
    {ErrorCode::NoSuchImage, "org.zenith.Provisioner.Error.NoSuchImage"},
    {ErrorCode::Busy, "org.zenith.Provisioner.Error.Busy"},
    {ErrorCode::NotCancelable, "org.zenith.Provisioner.Error.NotCancelable"},
    {ErrorCode::Cancelled, "org.zenith.Provisioner.Error.Cancelled"},
    {ErrorCode::AddressExhausted, "org.zenith.Provisioner.Error.AddressExhausted"},
    {ErrorCode::BackendUnavailable, "org.zenith.Provisioner.Error.BackendUnavailable"},
    {ErrorCode::BackendFailed, "org.zenith.Provisioner.Error.BackendFailed"},
    {ErrorCode::InvalidArgs, "org.freedesktop.DBus.Error.InvalidArgs"},
    {ErrorCode::AccessDenied, "org.freedesktop.DBus.Error.AccessDenied"},
    {ErrorCode::InteractiveAuthorizationRequired, "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired"},
    {ErrorCode::LimitsExceeded, "org.freedesktop.DBus.Error.LimitsExceeded"},
    {ErrorCode::NotSupported, "org.freedesktop.DBus.Error.NotSupported"},
};

}  // namespace

TEST(DbusErrorMap, EveryCodeHasItsContractName)
{
    // The enum's last value is LimitsExceeded; the table must cover them all.
    ASSERT_EQ(kContract.size(), size_t(ErrorCode::NotSupported) + 1);
    for (const auto& [code, name] : kContract)
        EXPECT_EQ(dbus::busErrorName(code), name) << core::errorCodeName(code);
}

TEST(DbusErrorMap, NamesAreDistinct)
{
    std::set<std::string_view> names;
    for (const auto& [code, name] : kContract)
        names.insert(dbus::busErrorName(code));
    EXPECT_EQ(names.size(), kContract.size());
}

TEST(DbusErrorMap, RoundTripThroughSdbusError)
{
    for (const auto& [code, name] : kContract) {
        core::Error in{code, "machine 'web1': because " + name};
        sdbus::Error bus = dbus::toSdbusError(in);
        EXPECT_EQ(bus.getName(), name);
        EXPECT_EQ(bus.getMessage(), in.message);
        EXPECT_EQ(dbus::fromSdbusError(bus), in);
        EXPECT_EQ(dbus::errorCodeFromBusName(name), code);
    }
}

TEST(DbusErrorMap, ShortNamesMapToBusNames)
{
    for (const auto& [code, name] : kContract) {
        EXPECT_EQ(dbus::errorCodeFromShortName(core::errorCodeName(code)), code);
        EXPECT_EQ(dbus::busErrorNameForJob(core::errorCodeName(code)), name);
    }
    EXPECT_EQ(dbus::busErrorNameForJob(""), "");
    EXPECT_EQ(dbus::busErrorNameForJob("SomethingElse"), "SomethingElse");
}

TEST(DbusErrorMap, UnknownNamesBecomeBackendFailed)
{
    EXPECT_FALSE(dbus::errorCodeFromBusName("org.example.Error.Weird"));
    auto e = dbus::fromSdbusError(sdbus::Error("org.example.Error.Weird", "odd"));
    EXPECT_EQ(e.code, ErrorCode::BackendFailed);
    EXPECT_NE(e.message.find("org.example.Error.Weird"), std::string::npos);
    EXPECT_NE(e.message.find("odd"), std::string::npos);
}
