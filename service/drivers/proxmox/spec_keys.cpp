#include "drivers/proxmox/spec_keys.h"

#include <array>

#include <fmt/format.h>

#include "core/text_quote.h"

namespace zenith::drivers::proxmox {

namespace {

using core::ErrorCode;
using core::Result;
using core::SpecKeyRule;
using core::SpecValue;
namespace check = core::speccheck;

// Proxmox's own ostype values (qemu-server's schema), then the builder's.
constexpr std::array<std::string_view, 13> kProxmoxOsTypes{"other", "wxp",   "w2k",   "w2k3", "w2k8", "wvista", "win7",
                                                           "win8",  "win10", "win11", "l24",  "l26",  "solaris"};
constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kBuilderOsTypes{
    {{"ubuntu", "l26"}, {"debian", "l26"}, {"centos", "l26"}, {"rocky", "l26"}, {"alma", "l26"}, {"windows", "win11"}}};

const std::string& textOf(const SpecValue& v) { return std::get<std::string>(v.value); }

Result<void> oneOf(std::string_view key, const SpecValue& v, std::initializer_list<std::string_view> accepted)
{
    for (auto a : accepted)
        if (a == textOf(v))
            return {};
    std::string list;
    for (auto a : accepted)
        list += (list.empty() ? "" : "|") + std::string(a);
    return core::fail(ErrorCode::InvalidArgs,
                      fmt::format("spec key '{}' = {} is not one of {}", key, core::quoteForMessage(textOf(v)), list));
}

Result<void> osTypeKey(std::string_view key, const SpecValue& v)
{
    if (proxmoxOsType(textOf(v)))
        return {};
    return core::fail(ErrorCode::InvalidArgs,
                      fmt::format("spec key '{}' = {} is not an OS type (Proxmox's l26, win10, win11, other, ... or "
                                  "ubuntu, debian, centos, rocky, alma, windows)",
                                  key, core::quoteForMessage(textOf(v))));
}

Result<void> biosKey(std::string_view key, const SpecValue& v) { return oneOf(key, v, {"seabios", "ovmf"}); }
// The machine types without a pinned version (the server's pattern allows
// versioned ones too; a builder picks the current).
Result<void> machineKey(std::string_view key, const SpecValue& v) { return oneOf(key, v, {"q35", "pc"}); }
Result<void> vgaKey(std::string_view key, const SpecValue& v)
{
    return oneOf(key, v,
                 {"std", "virtio", "virtio-gl", "qxl", "qxl2", "qxl3", "qxl4", "vmware", "cirrus", "serial0", "serial1",
                  "serial2", "serial3", "none"});
}
Result<void> scsihwKey(std::string_view key, const SpecValue& v)
{
    return oneOf(key, v, {"virtio-scsi-single", "virtio-scsi-pci", "lsi", "lsi53c810", "megasas", "pvscsi"});
}

// CPU types are Proxmox's model names (host, x86-64-v2-AES, kvm64, ...): a
// token, checked by the server against its list.
Result<void> cpuTypeKey(std::string_view key, const SpecValue& v) { return check::tokenText(key, textOf(v)); }

// boot: "order=scsi0;ide2;net0" with the devices qemu-server boots from
// (disks, NICs, passed-through devices), or the legacy "cdn" letters.
bool isBootDevice(std::string_view dev)
{
    for (std::string_view kind : {"ide", "sata", "scsi", "virtio", "net", "hostpci", "usb"})
        if (dev.starts_with(kind)) {
            std::string_view n = dev.substr(kind.size());
            return !n.empty() && n.size() <= 2 && n.find_first_not_of("0123456789") == std::string_view::npos;
        }
    return false;
}

Result<void> bootKey(std::string_view key, const SpecValue& v)
{
    const std::string& s = textOf(v);
    std::string_view text = s;
    bool good = !text.empty() && text.size() <= 128;
    if (good && text.starts_with("order=")) {
        text.remove_prefix(6);
        good = !text.empty();
        while (good) {
            const size_t end = text.find(';');
            good = isBootDevice(text.substr(0, end));
            if (end == std::string_view::npos)
                break;
            text.remove_prefix(end + 1);
        }
    } else if (good) {
        if (text.starts_with("legacy="))
            text.remove_prefix(7);
        good = !text.empty() && text.size() <= 4 && text.find_first_not_of("acdn") == std::string_view::npos;
    }
    if (good)
        return {};
    return core::fail(ErrorCode::InvalidArgs,
                      fmt::format("spec key '{}' = {} is not a boot order (order=DEV[;DEV...] with DEV one of "
                                  "ide|sata|scsi|virtio|net|hostpci|usb + number, e.g. order=scsi0;ide2, or legacy "
                                  "letters of acdn)",
                                  key, core::quoteForMessage(s)));
}

Result<void> lastOctetKey(std::string_view key, const SpecValue& v)
{
    uint32_t n = std::get<uint32_t>(v.value);
    if (n >= 1 && n <= 254)
        return {};
    return core::fail(ErrorCode::InvalidArgs,
                      fmt::format("spec key '{}' = {} is out of range: accepted 1-254", key, n));
}

constexpr std::array<SpecKeyRule, 9> kLxc{{
    {"cluster", "s", check::token},
    {"node", "s", check::token},
    {"vmid", "u", check::vmid},
    {"storage", "s", check::token},
    {"last_octet", "u", lastOctetKey},
    {"ostemplate", "s", check::reference},
    {"unprivileged", "b", check::any},
    {"nesting", "b", check::any},
    {"full_clone", "b", check::any},
}};

constexpr std::array<SpecKeyRule, 18> kQemu{{
    {"cluster", "s", check::token},
    {"node", "s", check::token},
    {"vmid", "u", check::vmid},
    {"storage", "s", check::token},
    {"iso", "s", check::reference},
    {"os_type", "s", osTypeKey},
    {"bios", "s", biosKey},
    {"virtio_iso", "s", check::reference},
    {"cpu_type", "s", cpuTypeKey},
    {"machine", "s", machineKey},
    {"vga", "s", vgaKey},
    {"scsihw", "s", scsihwKey},
    {"boot", "s", bootKey},
    {"agent", "b", check::any},
    {"tablet", "b", check::any},
    {"onboot", "b", check::any},
    {"make_template", "b", check::any},
    {"full_clone", "b", check::any},
}};

}  // namespace

core::SpecKeyRules lxcSpecKeys() { return kLxc; }
core::SpecKeyRules qemuSpecKeys() { return kQemu; }

std::optional<std::string> proxmoxOsType(std::string_view osType)
{
    for (auto t : kProxmoxOsTypes)
        if (t == osType)
            return std::string(t);
    for (auto [name, type] : kBuilderOsTypes)
        if (name == osType)
            return std::string(type);
    return std::nullopt;
}

bool isWindowsOsType(std::string_view t)
{
    return t.starts_with("w");
}

}  // namespace zenith::drivers::proxmox
