// Finding a file a guest is made from - an ISO, a container template - on
// the cluster: callers name it by volid ("local:iso/debian-12.iso") or by
// bare file name ("debian-12.iso"), and it is on some nodes and not others.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "drivers/proxmox/cluster_inventory.h"

namespace zenith::drivers::proxmox {

// The copy of `ref` to use: on `node` when given, else the first node that
// holds it. InvalidArgs (naming `key`) for a reference that is neither a
// volid nor a file name; NoSuchImage when no node (or not `node`) has it.
core::Result<StorageVolume> findVolume(std::string_view key, std::string_view ref,
                                       const std::vector<StorageVolume>& volumes,
                                       const std::optional<std::string>& node);

}  // namespace zenith::drivers::proxmox
