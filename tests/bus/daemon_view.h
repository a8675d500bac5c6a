// Root's view of the daemon for checking what a test did (or did not) cause:
// machines and jobs on the bus, root file systems on disk; plus raw sd-bus
// calls for input that libclient itself would refuse to send.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include <sdbus-c++/sdbus-c++.h>

#include <zenith/client/client.h>

namespace zenith::bustest {

inline constexpr const char* kManagerInterface = "org.zenith.Provisioner.Manager";
inline constexpr const char* kAccessDenied = "org.freedesktop.DBus.Error.AccessDenied";
inline constexpr const char* kInvalidArgs = "org.freedesktop.DBus.Error.InvalidArgs";
inline constexpr const char* kInteractiveAuthorizationRequired =
    "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired";

// A fresh connection as whoever the current process is.
client::Client connectClient(std::chrono::milliseconds callTimeout = std::chrono::seconds(30));

std::set<std::string> machineNames();
std::set<uint32_t> jobIds();
bool machineOnBus(const std::string& name);
// The machine's State property, or "absent".
std::string machineState(const std::string& name);
std::optional<client::MachineInfo> machineInfo(const std::string& name);

// The usual create of these tests: Debian bookworm.
client::Spec bookwormSpec();

// "done", or "failed <ErrorName>: <message>" / "cancelled", or the call's
// error name when the call itself failed. One string so a child can report it.
std::string outcomeText(const client::Result<client::JobResult>& result);
std::string callErrorText(const client::Error& error);

// Root destroys `name` (FORCE) if it exists and waits; cleanup after tests.
void destroyIfPresent(const std::string& name);
// Root creates `name` with NO_START and waits; returns outcomeText.
std::string createStoppedAsRoot(const std::string& name);

// Destroys the machine when the test ends, however it ends.
class MachineCleanup {
public:
    explicit MachineCleanup(std::string name) : name_(std::move(name)) {}
    ~MachineCleanup() { destroyIfPresent(name_); }
    MachineCleanup(const MachineCleanup&) = delete;
    MachineCleanup& operator=(const MachineCleanup&) = delete;

private:
    std::string name_;
};

struct CallError {
    std::string name, message;
};
// CreateMachine through plain sd-bus with any a{sv}; nullopt on success.
std::optional<CallError> rawCreate(const std::string& name, const std::string& backend,
                                   const std::map<std::string, sdbus::Variant>& spec, uint64_t flags);

}  // namespace zenith::bustest
