// /etc/zenith/provisioner.conf: systemd-style INI. A missing file means all
// defaults; an unknown section or key, or a bad value, is an error naming
// file, line and key.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/spec.h"

namespace zenith::core {

struct AddressPool {
    std::string name;
    std::string subnet;   // 10.1.10.0/24
    std::string gateway;
    std::vector<std::string> dns;
    std::string rangeFirst, rangeLast;
};

struct ProxmoxCluster {
    std::string name;
    std::vector<std::string> urls;
    std::string tokenId;
    std::string tokenSecretFile;
    std::string fingerprint;
    std::string caFile;
    std::string pool;
};

struct Config {
    uint32_t maxJobs = 4;
    Limits limits;
    std::string debianMirror;       // empty: from the host's apt sources
    std::string ubuntuMirror;       // empty: a well-known default is NOT used; must be configured for ubuntu
    std::string ubuntuPortsMirror;
    std::string bridge;
    std::map<std::string, AddressPool> pools;
    std::map<std::string, ProxmoxCluster> proxmox;
};

// Parses INI text; `origin` names the file in error messages.
Result<Config> parseConfig(std::string_view text, std::string_view origin);
// Reads and parses; a missing file yields the defaults.
Result<Config> loadConfig(const std::string& path);

}  // namespace zenith::core
