#include "drivers/proxmox/guest_images.h"

#include <fmt/format.h>

#include "core/text_quote.h"

namespace zenith::drivers::proxmox {

namespace {

// "local:iso/x.iso" -> "x.iso"; "" when the volid has no file part.
std::string_view fileOf(std::string_view volid)
{
    const size_t colon = volid.find(':');
    if (colon == std::string_view::npos)
        return {};
    std::string_view path = volid.substr(colon + 1);
    const size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool isFileName(std::string_view s)
{
    return !s.empty() && s.size() <= 255 && s != "." && s != ".." &&
           s.find_first_of("/:\\") == std::string_view::npos &&
           s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.+~") ==
               std::string_view::npos;
}

bool isVolid(std::string_view s)
{
    const size_t colon = s.find(':');
    if (colon == std::string_view::npos || colon == 0 || s.size() > 512)
        return false;
    std::string_view storage = s.substr(0, colon), path = s.substr(colon + 1);
    if (storage.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") !=
        std::string_view::npos)
        return false;
    const size_t slash = path.find('/');
    return slash != std::string_view::npos && slash > 0 && path.find('/', slash + 1) == std::string_view::npos &&
           isFileName(path.substr(slash + 1));
}

}  // namespace

core::Result<StorageVolume> findVolume(std::string_view key, std::string_view ref,
                                       const std::vector<StorageVolume>& volumes,
                                       const std::optional<std::string>& node)
{
    const bool volid = ref.find(':') != std::string_view::npos;
    if (volid ? !isVolid(ref) : !isFileName(ref))
        return core::fail(core::ErrorCode::InvalidArgs,
                          fmt::format("spec key '{}' = {} is neither a volid (STORAGE:iso/FILE) nor a file name", key,
                                      core::quoteForMessage(ref)));
    const StorageVolume* elsewhere = nullptr;
    for (const auto& v : volumes) {
        if (volid ? v.volid != ref : fileOf(v.volid) != ref)
            continue;
        if (!node || v.node == *node)
            return v;
        elsewhere = elsewhere ? elsewhere : &v;
    }
    if (elsewhere)
        return core::fail(core::ErrorCode::NoSuchImage,
                          fmt::format("{} is not on node {} (it is on {}); leave out 'node' to build where it is",
                                      core::quoteForMessage(ref), *node, elsewhere->node));
    return core::fail(core::ErrorCode::NoSuchImage,
                      fmt::format("{} {} is on no node of the cluster", key == "ostemplate" ? "container template" : "ISO",
                                  core::quoteForMessage(ref)));
}

}  // namespace zenith::drivers::proxmox
