// Running zenithctl the way a hosting panel does over SSH: as the test
// user, non-interactive, reading its JSON lines.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "child_process.h"
#include "sandbox_env.h"

namespace zenith::bustest {

// The command line that runs zenithctl ARGS as `user` (setpriv, with the
// user's groups as a login would have them); `env` entries (NAME=VALUE) are
// set for that run only. Run it as root.
std::vector<std::string> zenithctlArgv(const TestUser& user, const std::vector<std::string>& args,
                                       const std::vector<std::string>& env = {});
// Runs that; `input`, when given, is zenithctl's stdin.
ProgramResult zenithctlAs(const TestUser& user, const std::vector<std::string>& args,
                          const std::vector<std::string>& env = {},
                          const std::optional<std::string>& input = std::nullopt);

// The last JSON line of --json output: the result (or error) object.
nlohmann::json lastJson(const std::string& out);
// Every JSON line whose "event" is `event`.
std::vector<nlohmann::json> jsonEvents(const std::string& out, const std::string& event);

}  // namespace zenith::bustest
