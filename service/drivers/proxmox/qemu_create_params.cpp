#include "drivers/proxmox/qemu_create_params.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/inet.h"
#include "core/size_units.h"
#include "core/text_quote.h"
#include "drivers/proxmox/client/property_string.h"
#include "drivers/proxmox/spec_keys.h"

namespace zenith::drivers::proxmox {

namespace {

using core::ErrorCode;
using core::Result;

constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kGiB = 1ull << 30;
constexpr uint32_t kDefaultCores = 2;
constexpr uint64_t kDefaultMemory = 2 * kGiB;
constexpr uint64_t kDefaultDisk = 32 * kGiB;
// The schema's own floors: memory >= 16 MiB, and "STOR:0" would mean "import
// a disk" rather than "allocate one", so at least 1 GiB.
constexpr uint64_t kServerMemoryMin = 16 * kMiB;
constexpr uint64_t kServerDiskMin = kGiB;
// efidisk0 and tpmstate0: the server allocates 4 MiB each whatever size is asked.
constexpr uint64_t kSmallDisks = 8 * kMiB;
constexpr uint32_t kVmidMin = 100, kVmidMax = 999999999;
// A current model every x86-64 host of the last decade runs, unlike "host",
// which ties the VM to hosts with the same CPU for migrations.
constexpr std::string_view kDefaultCpu = "x86-64-v2-AES";
// One controller per disk: with iothread=1 each disk gets its own I/O thread.
constexpr std::string_view kDefaultScsiHw = "virtio-scsi-single";

std::unexpected<core::Error> invalid(std::string message)
{
    return core::fail(ErrorCode::InvalidArgs, std::move(message));
}

bool isAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool endsWithNoCase(std::string_view s, std::string_view suffix)
{
    return s.size() >= suffix.size() &&
           std::ranges::equal(s.substr(s.size() - suffix.size()), suffix, {}, lower, lower);
}

bool startsWithNoCase(std::string_view s, std::string_view prefix)
{
    return s.size() >= prefix.size() && std::ranges::equal(s.substr(0, prefix.size()), prefix, {}, lower, lower);
}

// pve-common's parse_id (format pve-storage-id): the server refuses any other.
bool isStorageId(std::string_view id)
{
    if (id.size() < 2 || !((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= 'A' && id[0] <= 'Z')) || !isAlnum(id.back()))
        return false;
    return std::ranges::all_of(id, [](char c) { return isAlnum(c) || c == '-' || c == '_' || c == '.'; });
}

// pve-common's pve_verify_dns_name (format dns-name of `name`): machine names
// may end in '-', a DNS label may not.
bool isDnsName(std::string_view name)
{
    if (name.empty())
        return false;
    size_t start = 0;
    while (true) {
        const size_t dot = name.find('.', start);
        std::string_view label = name.substr(start, dot - start);  // to the end when there is no dot
        if (label.empty() || !isAlnum(label.front()) || !isAlnum(label.back()) ||
            !std::ranges::all_of(label, [](char c) { return isAlnum(c) || c == '-'; }))
            return false;
        if (dot == std::string_view::npos)
            return true;
        start = dot + 1;
    }
}

// qemu-server checks the model against its built-in list and the cluster's
// custom-NAME models, which only the server knows; here only that it is a
// plain name.
bool isCpuType(std::string_view t)
{
    return !t.empty() && t.size() <= 64 && isAlnum(t[0]) &&
           std::ranges::all_of(t, [](char c) { return isAlnum(c) || c == '-' || c == '_' || c == '.'; });
}

// Proxmox stores .iso and .img files as ISO content (ISO_EXT_RE_0).
bool isIsoFileName(std::string_view f)
{
    return (endsWithNoCase(f, ".iso") || endsWithNoCase(f, ".img")) && f.size() > 4 &&
           f.find_first_of("/:") == std::string_view::npos && !core::hasControlChars(f);
}

// "storage:iso/file.iso" -> "file.iso"; nullopt for anything else.
std::optional<std::string_view> isoFileOfVolid(std::string_view volid)
{
    const size_t colon = volid.find(':');
    if (colon == std::string_view::npos || !isStorageId(volid.substr(0, colon)))
        return std::nullopt;
    std::string_view rest = volid.substr(colon + 1);
    if (!rest.starts_with("iso/") || !isIsoFileName(rest.substr(4)))
        return std::nullopt;
    return rest.substr(4);
}

std::string gib(uint64_t bytes) { return fmt::format("{:.1f} GiB", static_cast<double>(bytes) / kGiB); }

template <typename T>
T orDefault(std::optional<T> given, T fallback, T min, T max)
{
    return given ? *given : std::max(min, std::min(fallback, max));
}

Result<void> sizeInRange(std::string_view key, uint64_t value, uint64_t min, uint64_t max, std::string_view limit)
{
    if (value >= min && value <= max)
        return {};
    return invalid(fmt::format(
        "spec key '{}' = {} bytes ({}) is out of range: accepted {}-{} bytes ({}-{}, [Limits] {})", key, value,
        core::formatSize(value), min, max, core::formatSize(min), core::formatSize(max), limit));
}

// A drive's volume and options; `what` names the parameter in errors.
Result<std::string> cdrom(std::string_view what, std::string_view volid, std::string_view key)
{
    if (!isoFileOfVolid(volid))
        return invalid(fmt::format("{}: {} is not an ISO volume (STORAGE:iso/FILE.iso) (spec key '{}')", what,
                                   core::quoteForMessage(volid), key));
    return PropertyString(std::string(what)).value(volid).add("media", "cdrom").str();
}

// The boot property, with every device of an explicit order one this VM has:
// the server takes an order naming a missing device at creation and the VM
// then boots from nothing.
Result<std::string> bootValue(std::string_view boot, const std::vector<std::string_view>& devices)
{
    PropertyString p("boot");
    if (boot.starts_with("order=")) {
        std::string_view order = boot.substr(6);
        for (size_t start = 0; start <= order.size();) {
            size_t end = std::min(order.find(';', start), order.size());
            std::string_view dev = order.substr(start, end - start);
            if (std::ranges::find(devices, dev) == devices.end()) {
                std::string has;
                for (auto d : devices)
                    has += (has.empty() ? "" : ", ") + std::string(d);
                return invalid(fmt::format("spec key 'boot' = {} names {}, a device this VM does not have (it has {})",
                                           core::quoteForMessage(boot), core::quoteForMessage(dev), has));
            }
            start = end + 1;
        }
        p.add("order", order);
    } else if (boot.starts_with("legacy=")) {
        p.add("legacy", boot.substr(7));
    } else {
        p.value(boot);
    }
    return p.str();
}

// The version numbers of "virtio-win-0.1.262.iso" ({"0","1","262"}), compared
// as numbers of any length.
std::vector<std::string_view> versionOf(std::string_view file)
{
    std::vector<std::string_view> parts;
    for (size_t i = 0; i < file.size();) {
        if (!isDigit(file[i])) {
            ++i;
            continue;
        }
        size_t j = i;
        while (j < file.size() && file[j] == '0' && j + 1 < file.size() && isDigit(file[j + 1]))
            ++j;  // leading zeros
        size_t end = j;
        while (end < file.size() && isDigit(file[end]))
            ++end;
        parts.push_back(file.substr(j, end - j));
        i = end;
    }
    return parts;
}

bool olderVersion(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b)
{
    return std::ranges::lexicographical_compare(a, b, [](std::string_view x, std::string_view y) {
        return x.size() != y.size() ? x.size() < y.size() : x < y;
    });
}

std::string_view isoFile(const IsoVolume& iso) { return isoFileOfVolid(iso.volid).value_or(std::string_view{}); }

}  // namespace

QemuSize qemuSize(const core::MachineSpec& spec, const QemuLimits& limits)
{
    const uint64_t memory = orDefault(spec.memoryMax, kDefaultMemory, limits.memoryMin, limits.memoryMax);
    const uint64_t disk = orDefault(spec.diskMax, kDefaultDisk, limits.diskMin, limits.diskMax);
    return QemuSize{
        .cores = orDefault(spec.cores, kDefaultCores, std::max(limits.coresMin, 1u), limits.coresMax),
        .memoryMiB = memory / kMiB,
        .diskGiB = disk / kGiB + (disk % kGiB ? 1 : 0),
    };
}

core::Result<void> checkQemuRanges(const core::MachineSpec& spec, const QemuLimits& limits)
{
    const uint32_t coresMin = std::max(limits.coresMin, 1u);
    if (spec.cores && (*spec.cores < coresMin || *spec.cores > limits.coresMax))
        return invalid(fmt::format("spec key 'cores' = {} is out of range: accepted {}-{} ([Limits] VMCores)",
                                   *spec.cores, coresMin, limits.coresMax));
    if (spec.memoryMax)
        if (auto r = sizeInRange("memory_max", *spec.memoryMax, std::max(limits.memoryMin, kServerMemoryMin),
                                 limits.memoryMax, "VMMemory");
            !r)
            return r;
    if (spec.diskMax)
        if (auto r = sizeInRange("disk_max", *spec.diskMax, std::max(limits.diskMin, kServerDiskMin), limits.diskMax,
                                 "VMDisk");
            !r)
            return r;
    return {};
}

core::Result<Params> qemuCreateParams(const core::MachineSpec& spec, const QemuBuild& build, const QemuLimits& limits)
{
    if (auto r = checkQemuRanges(spec, limits); !r)
        return std::unexpected(r.error());
    if (build.vmid < kVmidMin || build.vmid > kVmidMax)
        return invalid(fmt::format("vmid {} is out of range: accepted {}-{}", build.vmid, kVmidMin, kVmidMax));
    if (!isDnsName(build.name))
        return invalid(fmt::format("name {} is not a DNS name, which Proxmox needs as a VM name (labels of letters, "
                                   "digits and '-', not starting or ending with '-')",
                                   core::quoteForMessage(build.name)));
    if (!isStorageId(build.storage))
        return invalid(fmt::format("storage {} is not a Proxmox storage ID (2 or more of [A-Za-z0-9._-], starting "
                                   "with a letter, ending with a letter or digit)",
                                   core::quoteForMessage(build.storage)));
    if (!core::isInterfaceName(build.bridge))
        return invalid(fmt::format("net0: bridge={} is not a bridge name (1-15 characters from [A-Za-z0-9._-])",
                                   core::quoteForMessage(build.bridge)));
    if (build.isoVolid.empty())
        return invalid("a VM is installed from an ISO: spec key 'iso' is needed");

    const auto& b = spec.backend;
    const std::string osTypeText = b.text("os_type").value_or("l26");
    const auto ostype = proxmoxOsType(osTypeText);
    if (!ostype)
        return invalid(fmt::format("spec key 'os_type' = {} is not an OS type", core::quoteForMessage(osTypeText)));
    const bool windows = isWindowsOsType(*ostype);
    // Windows 11 needs UEFI with Secure Boot and a TPM: OVMF and q35, as the
    // Proxmox wizard sets for win11. Older Windows get them too (8 and later
    // boot that way); an XP or 7 guest needs bios=seabios in its spec.
    const std::string bios = b.text("bios").value_or(windows ? "ovmf" : "seabios");
    std::optional<std::string> machine = b.text("machine");
    if (!machine && windows)
        machine = "q35";
    const std::string cpuType = b.text("cpu_type").value_or(std::string(kDefaultCpu));
    if (!isCpuType(cpuType))
        return invalid(fmt::format("spec key 'cpu_type' = {} is not a CPU model name", core::quoteForMessage(cpuType)));
    const std::string scsihw = b.text("scsihw").value_or(std::string(kDefaultScsiHw));
    const QemuSize size = qemuSize(spec, limits);

    Params params{
        {"vmid", std::to_string(build.vmid)},
        {"name", build.name},
        {"ostype", *ostype},
        {"bios", bios},
    };
    auto put = [&params](std::string key, core::Result<std::string> value) -> core::Result<void> {
        if (!value)
            return std::unexpected(value.error());
        params.emplace_back(std::move(key), std::move(*value));
        return {};
    };
    core::Result<void> r;
    if (machine)
        r = put("machine", PropertyString("machine").value(*machine).str());
    if (r)
        r = put("cpu", PropertyString("cpu").value(cpuType).str());
    if (!r)
        return std::unexpected(r.error());
    params.emplace_back("sockets", "1");
    params.emplace_back("cores", std::to_string(size.cores));
    params.emplace_back("memory", std::to_string(size.memoryMiB));
    params.emplace_back("scsihw", scsihw);

    PropertyString scsi0("scsi0");
    scsi0.value(fmt::format("{}:{}", build.storage, size.diskGiB));
    if (scsihw == "virtio-scsi-single")
        scsi0.add("iothread", "1");
    scsi0.add("discard", "on");
    r = put("scsi0", scsi0.str());
    const std::string small = build.storage + ":1";  // the size is ignored: 4 MiB
    if (r && bios == "ovmf")
        r = put("efidisk0",
                PropertyString("efidisk0").value(small).add("efitype", "4m").add("pre-enrolled-keys", "1").str());
    if (r && *ostype == "win11")
        r = put("tpmstate0", PropertyString("tpmstate0").value(small).add("version", "v2.0").str());
    if (r)
        r = put("ide2", cdrom("ide2", build.isoVolid, "iso"));
    std::vector<std::string_view> devices{"scsi0", "ide2", "net0"};
    // ide0, not ide3 or sata: the slot the Proxmox wizard gives the VirtIO ISO.
    if (r && windows && !build.virtioVolid.empty()) {
        r = put("ide0", cdrom("ide0", build.virtioVolid, "virtio_iso"));
        devices.push_back("ide0");
    }
    if (r)
        r = put("net0", PropertyString("net0").value("virtio").add("bridge", build.bridge).str());
    if (r)
        r = put("boot", bootValue(b.text("boot").value_or("order=scsi0;ide2;net0"), devices));
    if (!r)
        return std::unexpected(r.error());

    params.emplace_back("agent", b.flag("agent").value_or(true) ? "1" : "0");
    if (auto tablet = b.flag("tablet"))
        params.emplace_back("tablet", *tablet ? "1" : "0");
    if (auto onboot = b.flag("onboot"))
        params.emplace_back("onboot", *onboot ? "1" : "0");
    if (auto vga = b.text("vga"))
        if (r = put("vga", PropertyString("vga").value(*vga).str()); !r)
            return std::unexpected(r.error());
    return params;
}

core::Result<std::vector<IsoVolume>> findIso(std::string_view key, std::string_view ref,
                                             const std::vector<IsoVolume>& isos)
{
    const bool volid = isoFileOfVolid(ref).has_value();
    if (!volid && !isIsoFileName(ref))
        return invalid(fmt::format("spec key '{}' = {} is neither an ISO volume (STORAGE:iso/FILE.iso) nor an ISO "
                                   "file name (FILE.iso)",
                                   key, core::quoteForMessage(ref)));
    std::vector<IsoVolume> found;
    for (const auto& iso : isos) {
        if ((volid ? iso.volid != ref : isoFile(iso) != ref) ||
            std::ranges::any_of(found, [&](const IsoVolume& f) { return f.node == iso.node; }))
            continue;
        found.push_back(iso);
    }
    if (found.empty())
        return core::fail(ErrorCode::NoSuchImage,
                          fmt::format("spec key '{}': no node has the ISO {}", key, core::quoteForMessage(ref)));
    return found;
}

core::Result<std::optional<IsoVolume>> findVirtioIso(const std::optional<std::string>& wanted, const std::string& node,
                                                     const std::vector<IsoVolume>& isos)
{
    if (wanted) {
        auto found = findIso("virtio_iso", *wanted, isos);
        if (!found)
            return std::unexpected(found.error());
        std::string nodes;
        for (const auto& iso : *found) {
            if (iso.node == node)
                return iso;
            nodes += (nodes.empty() ? "" : ", ") + core::quoteForMessage(iso.node);
        }
        return core::fail(ErrorCode::NoSuchImage,
                          fmt::format("spec key 'virtio_iso': the ISO {} is not on node {} (only on {})",
                                      core::quoteForMessage(*wanted), core::quoteForMessage(node), nodes));
    }
    const IsoVolume* newest = nullptr;
    for (const auto& iso : isos) {
        const std::string_view file = isoFile(iso);
        if (iso.node != node || !startsWithNoCase(file, "virtio-win") || !endsWithNoCase(file, ".iso"))
            continue;
        if (!newest || olderVersion(versionOf(isoFile(*newest)), versionOf(file)))
            newest = &iso;
    }
    return newest ? std::optional(*newest) : std::nullopt;
}

core::Result<StorageInfo> pickVmStorage(const std::optional<std::string>& wanted, const std::string& node,
                                        uint64_t diskBytes, const std::vector<StorageInfo>& storages)
{
    const uint64_t need = diskBytes + kSmallDisks;
    if (wanted) {
        auto it = std::ranges::find_if(storages,
                                       [&](const StorageInfo& s) { return s.node == node && s.storage == *wanted; });
        const std::string where =
            fmt::format("storage {} on node {}", core::quoteForMessage(*wanted), core::quoteForMessage(node));
        if (it == storages.end())
            return invalid(fmt::format("{} does not exist", where));
        if (!it->active)
            return invalid(fmt::format("{} is not active", where));
        if (!it->holds("images"))
            return invalid(fmt::format("{} does not hold VM disks (content 'images')", where));
        if (it->avail < need)
            return invalid(fmt::format("{} has {} free, the VM needs {}", where, gib(it->avail), gib(need)));
        return *it;
    }
    const StorageInfo* best = nullptr;
    for (const auto& s : storages)
        if (s.node == node && s.active && s.holds("images") && (!best || s.avail > best->avail))
            best = &s;
    if (!best)
        return invalid(fmt::format("node {} has no active storage for VM disks (content 'images')",
                                   core::quoteForMessage(node)));
    if (best->avail < need)
        return invalid(fmt::format("no storage on node {} has room for the VM's disks: it needs {}, storage {} has "
                                   "the most free, {}",
                                   core::quoteForMessage(node), gib(need), core::quoteForMessage(best->storage),
                                   gib(best->avail)));
    return *best;
}

}  // namespace zenith::drivers::proxmox
