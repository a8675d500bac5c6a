// Secrets come from stdin or a file, never from argv (which every user can
// read in /proc). The values are handed straight to a client::Spec.
#pragma once

#include <string>

#include "zenith/client/error.h"

namespace zenithctl {

// One line from stdin; on a terminal, prompts on stderr with echo off.
zenith::client::Result<std::string> readSecretFromStdin(const std::string& what);
// `whole` false: the first line (a password); true: the whole file (a
// WireGuard config). Warns on stderr when the file is readable by others.
zenith::client::Result<std::string> readSecretFile(const std::string& path, const std::string& what, bool whole);

}  // namespace zenithctl
