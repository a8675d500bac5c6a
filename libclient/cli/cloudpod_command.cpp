#include "cloudpod_command.h"

#include <fmt/format.h>

namespace zenithctl {

using zenith::client::ErrorKind;
using zenith::client::makeError;
using zenith::client::Result;
using zenith::client::Spec;

void addCloudPodCommand(CLI::App& app, SpecOptions& spec, CloudPodCommand& c)
{
    c.command = app.add_subcommand(
        "cloudpod", "Clone the CloudPods template into NAME, vmid VMID, pool address ending in LAST_OCTET");
    c.command->footer(fmt::format("As cloudpod-create.sh VMID NAME OCTET did; the same as\n"
                                  "  zenithctl clone {} NAME --vmid VMID --last-octet LAST_OCTET [OPTIONS]\n",
                                  kCloudPodTemplate));
    c.command->add_option("VMID", c.vmid, "Proxmox guest id of the new container (100-999999999)")
        ->required()
        ->check(numberInRange(kVmidMin, kVmidMax, "a Proxmox guest id"));
    c.command->add_option("NAME", c.name, "Name of the new machine")->required();
    c.command->add_option("LAST_OCTET", c.lastOctet, "Last octet of its address in the address pool (1-254)")
        ->required()
        ->check(numberInRange(kLastOctetMin, kLastOctetMax, "the last octet of a pool address"));
    c.command->add_option("--template", c.templateName, "Container template to clone")->capture_default_str();
    addSpecOptions(*c.command, spec, SpecOptionSet::CloudPod);
}

Result<Spec> cloudPodOverrides(const CloudPodCommand& c, Spec spec)
{
    for (const char* key : {"vmid", "last_octet", "ipv4"})
        if (spec.contains(key))
            return std::unexpected(makeError(
                ErrorKind::InvalidArgs,
                fmt::format("cloudpod: --set {}=... is not accepted: VMID and LAST_OCTET say the guest id and the "
                            "address (use `zenithctl clone {} {}` for anything else)",
                            key, c.templateName, c.name.empty() ? "NAME" : c.name)));
    spec.setVmid(c.vmid);
    (void)spec.set("last_octet", c.lastOctet);
    return spec;
}

}  // namespace zenithctl
