// Our side: every operation through libzenith-client against the daemon on
// DBUS_SYSTEM_BUS_ADDRESS, timed on the client from the method call to the
// job's completion (Job::wait() returning done).
#pragma once

#include "scenario_options.h"

namespace zenith::bench {

// Creates and destroys one stopped machine, so the base image is cached
// (debootstrapped) before anything is timed.
void zenithSeedImage(const ScenarioOptions& o);

// create NO_START from the cached image ("create-cached"); the destroy
// that follows each is recorded as "destroy-stopped".
void zenithCreateCached(const ScenarioOptions& o);

// create and wait for the job, which ends when the container's init
// reported READY ("create-to-running"); then destroy FORCE while it runs
// ("destroy-running").
void zenithCreateToRunning(const ScenarioOptions& o);

// clone NO_START of a stopped machine ("clone").
void zenithClone(const ScenarioOptions& o);

// ListMachines latency while two creates (to running) go on, against the
// same calls on an idle daemon.
void zenithListDuringCreates(const ScenarioOptions& o, int calls);

// VmRSS/VmHWM of the daemon, filed under "rss-<label>" / "hwm-<label>".
void recordDaemonMemory(const ScenarioOptions& o, int pid, const std::string& label);

}  // namespace zenith::bench
