// Proxmox "property strings" (net0, rootfs, efidisk0, ide2...): comma-
// separated key=value pairs, with an optional bare default value first
// (`virtio,bridge=vmbr0`). The server splits them on ',' and '=', so a
// value holding either - a bridge named "vmbr0,ip=..." - would add a key
// of the caller's choosing. Values are checked, never escaped.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace zenith::drivers::proxmox {

class PropertyString {
public:
    // `what` names the property in errors ("net0").
    explicit PropertyString(std::string what) : what_(std::move(what)) {}

    // The bare first value (`virtio` of a QEMU net0, a volid of a disk).
    PropertyString& value(std::string_view v);
    PropertyString& add(std::string_view key, std::string_view v);

    // The text, or InvalidArgs naming the property and key of the first
    // value that could not go in.
    core::Result<std::string> str() const;

private:
    void append(std::string_view key, std::string_view v);

    std::string what_;
    std::string text_;
    std::string error_;
};

}  // namespace zenith::drivers::proxmox
