"""Storage semantics: volume names, which storage can do what, and space.

Modelled on pve-storage: the per-plugin volume_has_feature tables
(Plugin.pm, LvmThinPlugin.pm, LVMPlugin.pm) and the volume naming of
find_free_diskname/vdisk_create_base/clone_image.
"""

import math
import re

GIB = 1 << 30
MIB = 1 << 20

# Block storages name volumes 'vm-100-disk-0'; file storages '100/vm-100-disk-0.raw'.
BLOCK_TYPES = ("lvmthin", "lvm", "zfspool", "rbd")
FILE_TYPES = ("dir", "nfs", "cifs", "cephfs")

# What a storage type supports, per volume state ('base' = template volume,
# 'current' = normal volume): pve-storage volume_has_feature. File storages
# do linked clones through qcow2 backing files only, so LXC (raw/subvol
# only) cannot link-clone from them (pve-container asks for
# valid_target_formats raw/subvol).
_FEATURES = {
    "lvmthin": {"clone": {"base"}, "copy": {"base", "current"}, "template": {"current"}},
    "zfspool": {"clone": {"base"}, "copy": {"base", "current"}, "template": {"current"}},
    "rbd": {"clone": {"base"}, "copy": {"base", "current"}, "template": {"current"}},
    "lvm": {"clone": set(), "copy": {"base", "current"}, "template": set()},
    "dir": {"clone": {"base"}, "copy": {"base", "current"}, "template": {"current"}},
    "nfs": {"clone": {"base"}, "copy": {"base", "current"}, "template": {"current"}},
    "cifs": {"clone": {"base"}, "copy": {"base", "current"}, "template": {"current"}},
}


def content_of_volname(volname):
    """'iso/x.iso' -> 'iso'; images otherwise (the caller knows rootdir)."""
    for kind in ("iso", "vztmpl", "backup", "snippets", "import"):
        if volname.startswith(kind + "/"):
            return kind
    return "images"


def format_of_volname(volname):
    content = content_of_volname(volname)
    if content == "iso":
        return "iso"
    if content == "vztmpl":
        m = re.search(r"\.tar(?:\.(gz|xz|zst|bz2))?$", volname)
        if m:
            return "t" + m.group(1) if m.group(1) else "tar"
        return "tgz"
    if content == "backup":
        m = re.search(r"\.((?:tar|vma)(?:\.(?:gz|lzo|zst))?|tgz)$", volname)
        return m.group(1) if m else "tar"
    m = re.search(r"\.(raw|qcow2|vmdk)$", volname)
    return m.group(1) if m else "raw"


def split_volid(volid):
    sid, _, volname = volid.partition(":")
    return sid, volname


def is_base_volname(volname):
    """'base-9000-disk-0', '9000/base-9000-disk-0.raw'."""
    return volname.split("/")[-1].startswith("base-")


def disk_name(storage_type, vmid, index, fmt="raw", base=False, subvol=False):
    prefix = "base" if base else ("subvol" if subvol else "vm")
    name = f"{prefix}-{vmid}-disk-{index}"
    if storage_type in BLOCK_TYPES:
        return name
    return f"{vmid}/{name}.{fmt}"


def has_feature(storage_type, feature, volname, guest_type):
    if feature == "clone" and guest_type == "lxc" and storage_type in FILE_TYPES:
        return False
    state = "base" if is_base_volname(volname) else "current"
    return state in _FEATURES.get(storage_type, {}).get(feature, set())


def base_volname(storage_type, volname):
    """vm-100-disk-0 -> base-100-disk-0 (vdisk_create_base)."""
    return re.sub(r"(^|/)vm-(\d+-disk-\d+)", r"\1base-\2", volname)


def linked_clone_volname(storage_type, base_volname_, newid, index):
    if storage_type in BLOCK_TYPES:
        return f"vm-{newid}-disk-{index}"
    # file storages: a qcow2 overlay naming its base: 'BASE/NEWID/vm-NEWID-disk-N.qcow2'
    return f"{base_volname_}/{newid}/vm-{newid}-disk-{index}.qcow2"


def no_space_message(storage_type, volname, size, avail):
    if storage_type in ("lvmthin", "lvm"):
        need = size // (4 * MIB)
        have = max(avail, 0) // (4 * MIB)
        return f"lvcreate 'pve/{volname}' error:   Volume group \"pve\" has insufficient free space ({have} extents): {need} required."
    return f"unable to create image: qemu-img: Could not create '{volname}': No space left on device"


def alloc_output(storage_type, volname, size, for_container, path=None):
    """The lines a disk allocation prints into a task log (path: the
    volume's file, for file storages)."""
    lines = []
    if storage_type in ("lvmthin", "lvm"):
        lines.append(f'  Logical volume "{volname}" created.')
    elif storage_type in FILE_TYPES:
        fmt = volname.rsplit(".", 1)[-1]
        lines.append(f"Formatting '{path or volname}', fmt={fmt} size={size} preallocation=off")
    if for_container:
        blocks = max(size // 4096, 1)
        inodes = max(blocks // 4, 1)
        lines += [
            f"Creating filesystem with {blocks} 4k blocks and {inodes} inodes",
            "Filesystem UUID: 0b5c3f3e-9a7d-4c57-8f0f-2d1e6f1b7a42",
            "Superblock backups stored on blocks: ",
            "\t32768, 98304, 163840, 229376, 294912, 819200, 884736, 1605632",
            "",
            "Allocating group tables: done                            ",
            "Writing inode tables: done                            ",
            "Creating journal (16384 blocks): done",
            "Multiple mount protection is enabled with update interval 5 seconds.",
            "Writing superblocks and filesystem accounting information: done",
            "",
        ]
    return lines


def free_output(storage_type, volname):
    if storage_type in ("lvmthin", "lvm"):
        return [f'  Logical volume "{volname}" successfully removed.']
    return []


def render_bytes(value, precision=2):
    """PVE::Format::render_bytes: '1.0 GiB' with precision 1."""
    units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
    unit = 0
    value = float(value)
    if value > 1023:
        unit = min(int(math.log(value) / math.log(1024)), len(units) - 1)
        value /= 1024**unit
    return f"{value:.{precision}f} {units[unit]}"
