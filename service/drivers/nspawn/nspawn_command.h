// The systemd-nspawn command line that boots a machine. Pure (it takes no
// secret and touches nothing), so its exact argv is unit-tested.
#pragma once

#include "drivers/nspawn/machine_runner.h"
#include "drivers/process.h"

namespace zenith::drivers::nspawn {

// `systemdHost`: PID 1 is systemd. Then nspawn registers with machined and
// gets its own scope, the only place --property= (CPUQuota=, MemoryMax=)
// takes effect. Elsewhere there is no one to register with, so it keeps
// the daemon's unit (--keep-unit --register=no) and limits stay recorded
// only. The settings file is found by nspawn next to the tree (NAME.nspawn).
Argv nspawnArgv(const RunTarget& t, bool systemdHost);

// Whether PID 1 is systemd (sd_booted()).
bool hostRunsSystemd();

}  // namespace zenith::drivers::nspawn
