// What some backends can do and others cannot, each behind a small
// interface a driver hands out (Driver::imageCatalog(), ...) or not: the
// engine answers NotSupported, naming the backend, where a driver has none.
// In the spirit of Multipass's "not on this backend" factory defaults.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

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

// NotSupported: "`what` is not available on backend `backend`".
std::unexpected<core::Error> notOnThisBackend(std::string_view backend, std::string_view what);

}  // namespace zenith::drivers
