// The bus facade end to end on a private dbus-daemon: the real Manager, Job
// and Machine objects, the real Engine and Registry, the shared FakeDriver
// and FakeAuthorizer (the live polkitd path is tests/bus). A client on its
// own connection records every signal the service sends, in the order it
// sent them, so tests assert on what the daemon said - never on when the
// client happened to hear it.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <sdbus-c++/sdbus-c++.h>

#include "core/engine.h"
#include "core/registry.h"
#include "bus_loop/event_loop.h"
#include "dbus/provisioner_service.h"
#include "fake_authorizer.h"
#include "fake_driver.h"
#include "loop_thread.h"
#include "private_bus.h"

namespace zenith::unittest {

inline constexpr const char* kService = "org.zenith.Provisioner";
inline constexpr const char* kRoot = "/org/zenith/Provisioner";
inline constexpr const char* kManager = "org.zenith.Provisioner.Manager";
inline constexpr const char* kJob = "org.zenith.Provisioner.Job";
inline constexpr const char* kMachine = "org.zenith.Provisioner.Machine";

struct SeenSignal {
    std::string path, interface, member;
    // The string arguments. PropertiesChanged: the interface, each changed
    // name, and State=VALUE / Cancelable=true|false for those two.
    std::vector<std::string> strings;
    double progress = -1;  // ProgressChanged
};

class DbusServiceTest : public ::testing::Test {
protected:
    // How long a finished job stays on the bus. Longer than any test, so
    // that reading a finished job never races its removal; the test of the
    // removal itself sets a short one before SetUp.
    std::chrono::microseconds linger = std::chrono::hours(1);

    std::filesystem::path dir;
    std::unique_ptr<zenith::testing::PrivateBus> bus;
    std::unique_ptr<sdbus::IConnection> serverConn;
    std::unique_ptr<busloop::EventLoop> loop;
    std::unique_ptr<core::Registry> registry;
    testsupport::FakeDriver* driver = nullptr;  // owned by the engine
    std::unique_ptr<core::Engine> engine;
    std::unique_ptr<testsupport::FakeAuthorizer> authorizer;
    std::unique_ptr<dbus::ProvisionerService> service;
    std::unique_ptr<LoopThread> loopThread;

    std::unique_ptr<sdbus::IConnection> clientConn;
    std::unique_ptr<sdbus::IProxy> manager;

    void SetUp() override;
    void TearDown() override;

    // Every signal so far, in order.
    std::vector<SeenSignal> seen();
    std::vector<SeenSignal> signalsOn(const std::string& path, const std::string& member);
    // Index in seen() of the first signal matching, or -1.
    int indexOf(const std::string& path, const std::string& member, const std::string& withString = "");
    // Waits (a bound for a hang, not a speed goal) for a signal on `path`
    // named `member` that has `withString` among its strings ("" = any).
    bool waitSignal(const std::string& path, const std::string& member, const std::string& withString = "");

    std::pair<std::string, std::string> create(const std::string& name, std::map<std::string, sdbus::Variant> spec,
                                               uint64_t flags = 0);
    std::string destroy(const std::string& name, uint64_t flags = 0);
    void cancelJob(uint32_t id);

    template <typename T>
    T property(const std::string& path, const char* iface, const char* name)
    {
        auto p = sdbus::createProxy(*clientConn, kService, path);
        return p->getProperty(name).onInterface(iface).get<T>();
    }

    // Runs `call` and returns the bus error name ("" when it succeeded).
    static std::string errorOf(const std::function<void()>& call, std::string* message = nullptr);
    std::vector<core::AuditEntry> audit();

private:
    void record(sdbus::Message& m);

    sdbus::Slot match_;
    std::mutex sigMu_;
    std::condition_variable sigCv_;
    std::vector<SeenSignal> signals_;
};

}  // namespace zenith::unittest
