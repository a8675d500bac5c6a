// /org/zenith/Provisioner: org.zenith.Provisioner.Manager and the
// ObjectManager. Handlers only translate: arguments in, engine answers and
// object paths out; every decision goes through the RequestGate.
#pragma once

#include <functional>
#include <vector>

#include <sdbus-c++/sdbus-c++.h>

#include "core/engine.h"
#include "dbus/request_gate.h"
#include "zenith/glue/manager_adaptor.h"

namespace zenith::dbus {

class ManagerObject final
    : public sdbus::AdaptorInterfaces<org::zenith::Provisioner::Manager_adaptor, sdbus::ObjectManager_adaptor> {
public:
    ManagerObject(sdbus::IConnection& connection, core::Engine& engine, RequestGate& gate);
    ~ManagerObject();

private:
    using PathPair = sdbus::Result<sdbus::ObjectPath, sdbus::ObjectPath>;
    using OnePath = sdbus::Result<sdbus::ObjectPath>;

    void CreateMachine(PathPair&& result, std::string name, std::string backend,
                       std::map<std::string, sdbus::Variant> spec, uint64_t flags) override;
    void CloneMachine(PathPair&& result, std::string source, std::string new_name,
                      std::map<std::string, sdbus::Variant> overrides, uint64_t flags) override;
    void DestroyMachine(OnePath&& result, std::string name, uint64_t flags) override;
    void StartMachine(OnePath&& result, std::string name, uint64_t flags) override;
    void StopMachine(OnePath&& result, std::string name, uint64_t flags) override;
    void MakeTemplate(OnePath&& result, std::string name, uint64_t flags) override;
    void GetMachine(OnePath&& result, std::string name) override;
    void ListMachines(sdbus::Result<std::vector<sdbus::Struct<std::string, std::string, std::string, std::string,
                                                              sdbus::ObjectPath>>>&& result) override;
    void ListJobs(sdbus::Result<std::vector<sdbus::Struct<uint32_t, std::string, std::string, std::string, double,
                                                          sdbus::ObjectPath>>>&& result) override;
    void ListImages(sdbus::Result<std::vector<sdbus::Struct<std::string, std::string, std::string, uint64_t>>>&& result,
                    std::string backend) override;
    void CancelJob(sdbus::Result<>&& result, uint32_t id) override;
    // Address pools (manager_pools.cpp).
    using PoolRow = sdbus::Struct<std::string, std::string, std::string, std::string, std::vector<std::string>,
                                  uint32_t, uint32_t>;
    void ListPools(sdbus::Result<std::vector<PoolRow>>&& result) override;
    void ListLeases(sdbus::Result<std::vector<sdbus::Struct<std::string, std::string>>>&& result,
                    std::string pool) override;
    void NextFreeAddress(sdbus::Result<std::string>&& result, std::string pool) override;
    void NextFreeAddress6(sdbus::Result<std::string>&& result, std::string pool) override;
    // Both families' next free address: `next` is the engine's call for one.
    void nextFreeAddressOf(sdbus::Result<std::string>&& result, std::string pool, const char* method,
                           core::Result<std::string> (core::Engine::*next)(const std::string&) const);
    // Port forwards (manager_forwards.cpp).
    void AddPortForward(OnePath&& result, std::string name, std::string proto, uint16_t hostPort,
                        uint16_t machinePort, uint64_t flags) override;
    void RemovePortForward(OnePath&& result, std::string name, std::string proto, uint16_t hostPort,
                           uint64_t flags) override;
    using ForwardRow = sdbus::Struct<std::string, std::string, uint16_t, uint16_t, std::string>;
    void ListPortForwards(sdbus::Result<std::vector<ForwardRow>>&& result) override;
    // The bridges machines join (manager_bridges.cpp).
    using BridgePortRow = sdbus::Struct<std::string, std::string, std::string>;
    using BridgeRow =
        sdbus::Struct<std::string, std::string, std::vector<std::string>, std::vector<BridgePortRow>>;
    void ListBridges(sdbus::Result<std::vector<BridgeRow>>&& result) override;
    // A remote backend's nodes and storages, a machine's health and backups
    // (manager_cluster.cpp).
    using NodeRow = sdbus::Struct<std::string, std::string, std::string, uint32_t, uint64_t, uint64_t, uint64_t>;
    using StorageRow = sdbus::Struct<std::string, std::string, std::string, std::string, std::vector<std::string>,
                                     bool, bool, uint64_t, uint64_t>;
    using BackupRow =
        sdbus::Struct<std::string, std::string, std::string, std::string, uint64_t, uint64_t, std::string>;
    void ListNodes(sdbus::Result<std::vector<NodeRow>>&& result, std::string backend) override;
    void ListStorages(sdbus::Result<std::vector<StorageRow>>&& result, std::string backend) override;
    void GetHealth(sdbus::Result<std::map<std::string, sdbus::Variant>>&& result, std::string name) override;
    void ListBackups(sdbus::Result<std::vector<BackupRow>>&& result, std::string name) override;
    void BackupMachine(OnePath&& result, std::string name, std::map<std::string, sdbus::Variant> options,
                       uint64_t flags) override;

    void simpleChange(OnePath&& result, const char* method, std::string_view op, const std::string& name,
                      uint64_t flags);
    // A job on an existing machine (simpleChange, BackupMachine): `prepare`
    // validates, the gate authorizes and submits, the reply is the job.
    // `logged` is added to the debug line (never values: keys at most).
    void subjectChange(OnePath&& result, const char* method, std::string_view op, const std::string& name,
                       uint64_t flags, std::string_view logged, const std::function<core::Result<core::Request>()>& prepare);

    core::Engine& engine_;
    RequestGate& gate_;
};

}  // namespace zenith::dbus
