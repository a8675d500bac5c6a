// zenithctl's command line: parses, connects, runs one command.
#pragma once

#include <cstdint>
#include <string>

#include "zenith/client/spec.h"

namespace zenithctl {

int run(int argc, char** argv);

// The CloneMachine(source, new_name, overrides, flags) call of `clone` and
// `cloudpod`.
struct CloneCall {
    std::string source, name;
    zenith::client::Spec overrides;
    uint64_t flags = 0;
};

// run() up to the bus, for tests: the call that `clone` or `cloudpod` on
// this command line would make goes into `call` and 0 is returned, nothing
// sent. Usage and spec errors are printed and returned as run() does; any
// other command returns 2 and does nothing.
int planClone(int argc, char** argv, CloneCall& call);

}  // namespace zenithctl
