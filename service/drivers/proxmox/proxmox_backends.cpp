#include "drivers/proxmox/proxmox_backends.h"

#include <fmt/format.h>

#include "core/secret_file.h"
#include "drivers/proxmox/client/curl_transport.h"
#include "drivers/proxmox/guest_driver.h"

namespace zenith::drivers::proxmox {

core::Result<std::vector<std::unique_ptr<Driver>>> makeProxmoxDrivers(const core::Config& config)
{
    std::vector<std::unique_ptr<Driver>> out;
    if (config.proxmox.empty())
        return out;
    std::vector<std::shared_ptr<Cluster>> clusters;
    for (const auto& [name, pc] : config.proxmox) {
        auto secret = core::readSecretFile(pc.tokenSecretFile);
        if (!secret)
            return core::fail(secret.error().code,
                              fmt::format("[Proxmox.{}] TokenSecretFile: {}", name, secret.error().message));
        ClusterEndpoint endpoint;
        endpoint.cluster = name;
        endpoint.baseUrls = pc.urls;
        endpoint.tokenId = pc.tokenId;
        endpoint.tokenSecret = std::move(*secret);
        endpoint.timeout = std::chrono::seconds(pc.timeoutSec);
        ClusterOptions opts;
        opts.name = name;
        opts.pool = pc.pool;
        opts.bridge = pc.bridge;
        opts.storage = pc.storage;
        opts.backupStorage = pc.backupStorage;
        opts.taskTimeout = std::chrono::seconds(pc.taskTimeoutSec);
        auto transport = std::make_unique<CurlTransport>(TlsTrust{pc.fingerprint, pc.caFile});
        clusters.push_back(std::make_shared<Cluster>(std::move(opts), std::move(transport), std::move(endpoint)));
    }
    auto set = std::make_shared<ClusterSet>(std::move(clusters));
    for (GuestType type : {GuestType::Lxc, GuestType::Qemu}) {
        GuestDriverOptions o;
        o.type = type;
        o.vmLimits = config.vmLimits;
        out.push_back(makeGuestDriver(std::move(o), set));
    }
    return out;
}

}  // namespace zenith::drivers::proxmox
