// Which Debian mirror to debootstrap from: the one apt on this host already
// uses (an admin chose it, and it is known to be reachable), unless the
// config's DebianMirror= says otherwise. Never a host written in code.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace zenith::drivers::nspawn {

struct AptSource {
    std::vector<std::string> types;   // deb, deb-src
    std::vector<std::string> uris;
    std::vector<std::string> suites;
    std::vector<std::string> components;
};

// /etc/apt/sources.list and *.list: `deb [opts] URI suite [component...]`.
std::vector<AptSource> parseOneLineSources(std::string_view text);
// *.sources (deb822): paragraphs with Types/URIs/Suites/Components/Enabled.
std::vector<AptSource> parseDeb822Sources(std::string_view text);

// The first `deb` URI serving a Debian release suite (bookworm, stable,
// sid, ...; its -updates/-backports count) that is not a security archive.
std::optional<std::string> chooseDebianMirror(const std::vector<AptSource>& sources);

// `configured` wins when not empty; else apt's sources under `aptDir`
// (sources.list, sources.list.d/*.list, sources.list.d/*.sources).
// BackendUnavailable naming DebianMirror= when none is found.
core::Result<std::string> resolveDebianMirror(const std::string& configured, const std::string& aptDir = "/etc/apt");

}  // namespace zenith::drivers::nspawn
