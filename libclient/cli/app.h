// zenithctl's command line: parses, connects, runs one command.
#pragma once

namespace zenithctl {

int run(int argc, char** argv);

}  // namespace zenithctl
