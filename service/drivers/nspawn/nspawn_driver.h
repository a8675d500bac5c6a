// The `nspawn` backend: local containers from debootstrapped base images,
// booted with systemd-nspawn through a MachineRunner.
#pragma once

#include <memory>

#include "drivers/driver.h"
#include "drivers/nspawn/machine_runner.h"
#include "drivers/nspawn/nspawn_options.h"

namespace zenith::drivers::nspawn {

std::unique_ptr<Driver> makeNspawnDriver(NspawnOptions options, std::shared_ptr<MachineRunner> runner);

}  // namespace zenith::drivers::nspawn
