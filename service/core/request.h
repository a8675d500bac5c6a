// A validated request, ready to be authorized and submitted. Carries what
// polkit needs (verb, machine, backend, source, template, node, vmid, bridge,
// host ports) without secrets, and the locks its job will hold.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/resource_lock.h"
#include "core/spec.h"

namespace zenith::core {

class Operation;

struct Request {
    const Operation* operation = nullptr;  // from the operations table, never null once prepared
    std::string machine;        // the machine acted on (new name for create/clone)
    std::string backend;
    std::string source;         // clone: the source machine
    uint64_t flags = 0;
    MachineSpec spec;           // create/clone: validated (clone: merged)
    std::string templateName;   // polkit detail: the template made from, "" if none
    std::string node;           // polkit detail, "" if none
    uint32_t vmid = 0;          // polkit detail (Proxmox), 0 if none
    std::string bridge;         // polkit detail: the bridge joined (defaults applied), "" if none
    std::vector<uint16_t> hostPorts;  // polkit detail: published host ports, sorted, unique
    std::vector<ResourceLock> locks;  // what the job holds; the subject machine first
    // An operation's own options, checked by its prepare (backup: storage,
    // mode).
    std::map<std::string, std::string> options;

    // The operation's name ("create", "stop"): Job.Operation.
    std::string_view operationName() const;
    // The polkit action suffix: "create" | "clone" | "destroy" | "power" | "template".
    std::string_view actionVerb() const;
};

}  // namespace zenith::core
