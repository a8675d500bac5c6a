// The engine with the shared FakeDriver and a real SQLite registry in a temp
// dir, and an observer that records what the engine announced. Shared by the
// engine_*_test.cpp files.
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
#include <vector>

#include "core/engine.h"
#include "core/registry.h"
#include "fake_driver.h"

namespace zenith::unittest {

class RecordingObserver final : public core::EngineObserver {
public:
    void jobAdded(const core::JobSnapshot& j) override { record(j); }
    void jobChanged(const core::JobSnapshot& j) override { record(j); }
    void jobFinished(const core::JobSnapshot& j) override;
    void machineAdded(const core::MachineRecord& m) override { event("added " + m.name); }
    void machineChanged(const core::MachineRecord& m) override;
    void machineRemoved(const core::MachineRecord& m) override { event("removed " + m.name); }

    // The job's final snapshot; a test failure if it does not finish.
    core::JobSnapshot waitFinished(uint32_t id);
    int finishedCount(uint32_t id);
    std::vector<double> progressOf(uint32_t id);
    std::vector<core::JobSnapshot> changesOf(uint32_t id);
    std::vector<std::string> machineEvents();

private:
    void record(const core::JobSnapshot& j);
    void event(std::string e);

    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<core::JobSnapshot> changes_;
    std::map<uint32_t, core::JobSnapshot> finished_;
    std::map<uint32_t, int> finishedCount_;
    std::vector<std::string> machineEvents_;
};

class EngineTest : public ::testing::Test {
protected:
    std::filesystem::path dir;
    std::shared_ptr<testsupport::FakeDisk> disk = std::make_shared<testsupport::FakeDisk>();
    std::unique_ptr<core::Registry> registry;
    testsupport::FakeDriver* driver = nullptr;  // owned by the engine
    RecordingObserver observer;
    std::unique_ptr<core::Engine> engine;

    void SetUp() override;
    void TearDown() override;

    // Scripts the next engine's driver before its start-up recovery runs,
    // and whether openEngine() waits for that recovery (its `recover` job).
    std::function<void(testsupport::FakeDriver&)> beforeRecovery;
    std::map<std::string, core::AddressPool> poolConfig;  // [Pool.NAME] of the next engine
    bool waitForRecovery = true;
    // What the engine asked the host firewall to hold, in order (across
    // restarts).
    std::vector<core::NatRules> natApplied;
    std::mutex natMu;
    std::vector<core::NatRules> natCalls()
    {
        std::lock_guard lock(natMu);
        return natApplied;
    }

    // A fresh engine and registry on the same files and the same FakeDisk,
    // after the current ones are gone: a daemon restart.
    void openEngine(uint32_t maxJobs = 4, uint32_t maxQueuedJobs = 64);
    void restart(uint32_t maxJobs = 4, uint32_t maxQueuedJobs = 64);

    core::Submitted submitCreate(const std::string& name, uint64_t flags = 0, uint32_t uid = 1000);
    core::Submitted submitSimple(std::string_view op, const std::string& name, uint64_t flags = 0);
    // A machine made by a finished create (stopped with NO_START).
    void makeMachine(const std::string& name, uint64_t flags = 0);
};

}  // namespace zenith::unittest
