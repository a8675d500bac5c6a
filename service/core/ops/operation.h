// Operations as objects, in the spirit of machined's operation.c: each
// operation (create, clone, start, stop, destroy, template, ...) is one file
// with its validation (prepare), its plan (DRY_RUN), its run on a worker
// thread and its rollback, registered in one table (operation_table.cpp).
// The engine, the request gate and the polkit details read the table; none
// of them switches on an operation. A new operation is a new file and a line
// in the table.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/config.h"
#include "core/error.h"
#include "core/machine.h"
#include "core/net/address_pool.h"
#include "core/net/address_pool6.h"
#include "core/request.h"
#include "core/spec_value.h"
#include "drivers/driver.h"

namespace zenith::core {

// What a successful run does to the set of machines.
enum class OperationEffect {
    Makes,    // adds the subject (create, clone): it is listed `creating` from submit
    Changes,  // acts on an existing subject
    Removes,  // the subject is gone when it succeeds (destroy)
};

// What prepare() may look at: pure lookups, no state change.
class OperationEnv {
public:
    virtual ~OperationEnv() = default;
    virtual const Config& config() const = 0;
    virtual drivers::Driver* driver(std::string_view backend) const = 0;
    virtual std::optional<MachineRecord> machine(const std::string& name) const = 0;
    // An address pool's IPv4 part ([Pool.NAME]) and who holds its addresses
    // now; null for a pool without one.
    virtual const Ipv4Pool* pool(std::string_view name) const = 0;
    virtual Result<Ipv4Leases> poolLeases(const std::string& name) const = 0;
    // The same for its IPv6 part.
    virtual const Ipv6Pool* pool6(std::string_view name) const = 0;
    virtual Result<Ipv6Leases> pool6Leases(const std::string& name) const = 0;
};

// The caller's arguments, whatever the bus method: `machine` is the new name
// for create and clone, `spec` the spec or the overrides.
struct OperationInput {
    std::string machine;
    std::string backend;  // create only
    std::string source;   // clone only
    SpecMap spec;
    uint64_t flags = 0;
};

// The engine's services for one running job.
class OperationRun {
public:
    virtual ~OperationRun() = default;
    virtual drivers::Driver& driver() = 0;
    virtual drivers::JobContext& job() = 0;
    virtual const Request& request() const = 0;
    // A copy of a machine's record now (the subject, a clone's source).
    virtual std::optional<MachineRecord> machine(const std::string& name) const = 0;
    // The subject is made: its facts recorded, its state set.
    virtual void adoptFacts(const drivers::MachineFacts& facts, MachineState state) = 0;
    virtual void setState(MachineState state) = 0;
    // The subject's spec from now on (its record's specJson; no secrets).
    virtual void setSpec(const MachineSpec& spec) = 0;
    // Leases the address the spec asks for (ipv4=auto, an address in a
    // pool, last_octet) to the subject and puts it into the job's spec;
    // nothing to do for a spec without one. Released by the engine when the
    // job fails or the machine is destroyed.
    virtual Result<void> claimAddress() = 0;
    // A failed make keeps its machine (listed, failed) instead of removing it.
    virtual void keepMadeMachine() = 0;
};

class Operation {
public:
    virtual ~Operation() = default;

    virtual std::string_view name() const = 0;    // Job.Operation: "create"
    virtual std::string_view action() const = 0;  // polkit action suffix: "power"
    virtual OperationEffect effect() const = 0;
    // The state the subject shows while the job runs; nullopt: unchanged.
    virtual std::optional<MachineState> transitional() const { return std::nullopt; }
    // Whether the request's spec.ports are host ports it takes (checked at
    // submit against every other machine's), and whether the host's
    // forwards are brought up to date when the job ends.
    virtual bool publishesPorts() const { return effect() == OperationEffect::Makes; }
    virtual bool changesForwards() const { return effect() != OperationEffect::Changes; }

    // Validation before authorization (InvalidArgs, NoSuchMachine, ...),
    // and the request with its polkit details and locks.
    virtual Result<Request> prepare(const OperationInput& input, const OperationEnv& env) const = 0;
    // Checks at submit against the subject's record as it is then (engine
    // lock held: no I/O). `subject` is null for an operation that makes it.
    virtual Result<void> admit(const Request& request, const MachineRecord* subject) const;
    // What the job would do (DRY_RUN's Message).
    virtual std::string plan(const Request& request, const drivers::Driver& driver) const;
    // The work, on a worker thread.
    virtual Result<void> run(OperationRun& run) const = 0;
    // After run() threw (a driver bug): undo what it may have made, as
    // start-up recovery would after a crash.
    virtual void rollback(OperationRun& run) const;
};

// The table: every operation, by name.
const Operation* findOperation(std::string_view name);

}  // namespace zenith::core
