// zenithctl cloudpod VMID NAME LAST_OCTET: the positional shorthand of the
// old `cloudpod-create.sh 9101 migra-client-01 91`: clone the CloudPods
// template into NAME with vmid VMID and the address pool's address ending in
// LAST_OCTET. It is a CloneMachine call like `zenithctl clone`, run the same
// way (progress, --json, exit codes).
#pragma once

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include "spec_options.h"
#include "zenith/client/spec.h"

namespace zenithctl {

inline constexpr const char* kCloudPodTemplate = "cloudpod-template";

struct CloudPodCommand {
    CLI::App* command = nullptr;
    uint32_t vmid = 0;
    std::string name;
    uint32_t lastOctet = 0;
    std::string templateName = kCloudPodTemplate;  // the clone source
};

// Registers `cloudpod` on `app`: VMID NAME LAST_OCTET (range-checked, a bad
// one is a usage error), --template, and the spec options of
// SpecOptionSet::CloudPod into `spec`. The options bind to `c`, which must
// outlive the parse. The caller adds what it shares with `clone` (secrets,
// --no-start, --dry-run).
void addCloudPodCommand(CLI::App& app, SpecOptions& spec, CloudPodCommand& c);

// The overrides of its CloneMachine call: `spec` (built from the options)
// with vmid and last_octet from the arguments. InvalidArgs when --set gave
// vmid, last_octet or ipv4, which the arguments decide.
zenith::client::Result<zenith::client::Spec> cloudPodOverrides(const CloudPodCommand& c, zenith::client::Spec spec);

}  // namespace zenithctl
