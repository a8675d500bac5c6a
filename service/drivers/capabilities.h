// What some backends can do and others cannot, each behind a small
// interface a driver hands out (Driver::imageCatalog(), ...) or not: the
// engine answers NotSupported, naming the backend, where a driver has none.
// In the spirit of Multipass's "not on this backend" factory defaults.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/machine.h"

namespace zenith::drivers {

struct ImageInfo {
    std::string id;        // e.g. "debian-bookworm-amd64"
    std::string kind;      // base | template | iso | vztmpl
    std::string location;  // path or storage volid
    uint64_t size = 0;     // bytes
};

// The images a backend offers (base images, templates, ISOs, container
// templates). Called on the bus loop: it answers from memory; a backend
// whose list is remote keeps it in a cache it refreshes off the loop.
class ImageCatalog {
public:
    virtual ~ImageCatalog() = default;
    virtual core::Result<std::vector<ImageInfo>> images() = 0;
};

// A guest a remote backend holds (a Proxmox cluster's containers or VMs),
// whether or not this daemon made it: the engine lists each as a machine,
// so a golden template made by hand can be cloned by name.
struct RemoteGuest {
    std::string location;  // the cluster
    std::string node;
    uint32_t vmid = 0;
    std::string name;      // the cluster's name for it; may be empty or not a valid machine name
    // nullopt while its node is offline: the last known state stands.
    std::optional<core::MachineState> state;
    uint32_t cores = 0;
    uint64_t memoryMax = 0;  // bytes
};

// The guests of a remote backend, reported after every refresh (off the bus
// loop, on the driver's thread).
class GuestInventory {
public:
    virtual ~GuestInventory() = default;
    // The whole list of one location, each time it was read. Set by the
    // engine once its machines are loaded; setting another (or an empty
    // one) waits for a call in progress to return.
    // `readAt`: when the reading began; a change a job made after it may
    // not show in the list yet.
    using Listener = std::function<void(const std::string& location, std::chrono::system_clock::time_point readAt,
                                        const std::vector<RemoteGuest>& guests)>;
    virtual void setInventoryListener(Listener listener) = 0;
    // A job changed something: read the cluster again soon.
    virtual void refreshSoon() = 0;
};

// NotSupported: "`what` is not available on backend `backend`".
std::unexpected<core::Error> notOnThisBackend(std::string_view backend, std::string_view what);

}  // namespace zenith::drivers
