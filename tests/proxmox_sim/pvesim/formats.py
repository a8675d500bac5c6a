"""The named formats the schema file refers to by name ('format': 'pve-vmid').

The schema holds only the names; the checks live in Perl code across
pve-common (JSONSchema.pm), pve-storage, qemu-server and pve-container.
These are ports of the ones a provisioning client meets, with the same
error texts. A name not registered here is accepted unchecked (listed in
README.md) rather than refused, so the simulator never rejects what a real
server would take.

A validator raises FormatError with the Perl die text (ending in a newline,
as the real message does).
"""

import ipaddress
import re


class FormatError(Exception):
    pass


def _die(msg):
    raise FormatError(msg + "\n")


_IPV4_OCTET = r"(?:25[0-5]|(?:2[0-4]|1[0-9]|[1-9])?[0-9])"
_IPV4_RE = re.compile(rf"(?:{_IPV4_OCTET}\.){{3}}{_IPV4_OCTET}")
_DNS_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9\-]*[a-zA-Z0-9])?"
_DNS_RE = re.compile(rf"(?:{_DNS_LABEL}\.)*{_DNS_LABEL}")
CONFIGID_RE = r"[a-z][a-z0-9_]+"


def is_ipv4(text):
    return _IPV4_RE.fullmatch(text) is not None


def is_ipv6(text):
    if "%" in text or "/" in text:
        return False
    try:
        ipaddress.IPv6Address(text)
        return True
    except ValueError:
        return False


def _cidr(text, is_ip, lo, hi):
    addr, sep, bits = text.partition("/")
    return bool(sep) and bits.isdigit() and is_ip(addr) and lo < int(bits) <= hi


def pve_vmid(v):
    if not re.fullmatch(r"[1-9][0-9]{2,8}", v):
        _die("value does not look like a valid VM ID")
    return v


def pve_node(v):
    if not re.fullmatch(r"[a-zA-Z0-9](?:[a-zA-Z0-9\-]*[a-zA-Z0-9])?", v):
        _die("value does not look like a valid node name")
    return v


def pve_storage_id(v):
    if len(v) < 2:
        _die(f"storage ID '{v}' cannot be shorter than 2 characters")
    if not re.fullmatch(r"[a-z][a-z0-9\-_.]*[a-z0-9]", v, re.I):
        _die(f"storage ID '{v}' contains illegal characters")
    return v


def pve_bridge_id(v):
    if not re.fullmatch(r"[-_.\w\d]+", v):
        _die(f"invalid bridge ID '{v}'")
    return v


def pve_configid(v):
    if not re.fullmatch(CONFIGID_RE, v):
        _die(f"invalid configuration ID '{v}'")
    return v


def dns_name(v):
    if not _DNS_RE.fullmatch(v):
        _die("value does not look like a valid DNS name")
    return v


def ipv4(v):
    if not is_ipv4(v):
        _die("value does not look like a valid IPv4 address")
    return v


def ipv6(v):
    if not is_ipv6(v):
        _die("value does not look like a valid IPv6 address")
    return v


def ip(v):
    if not (is_ipv4(v) or is_ipv6(v)):
        _die("value does not look like a valid IP address")
    return v


def cidrv4(v):
    if not _cidr(v, is_ipv4, 7, 32):
        _die("value does not look like a valid IPv4 CIDR network")
    return v


def cidrv6(v):
    if not _cidr(v, is_ipv6, 7, 128):
        _die("value does not look like a valid IPv6 CIDR network")
    return v


def cidr(v):
    if not (_cidr(v, is_ipv4, 7, 32) or _cidr(v, is_ipv6, 7, 128)):
        _die("value does not look like a valid CIDR network")
    return v


def ipv4_config(v):
    # 'ip=' of an LXC interface: a CIDR with /8../32, dhcp or manual
    if v in ("dhcp", "manual") or _cidr(v, is_ipv4, 7, 32):
        return v
    _die("value does not look like a valid ipv4 network configuration")


def ipv6_config(v):
    if v in ("auto", "dhcp", "manual") or _cidr(v, is_ipv6, 7, 128):
        return v
    _die("value does not look like a valid ipv6 network configuration")


def address(v):
    if not (is_ipv4(v) or is_ipv6(v) or _DNS_RE.fullmatch(v)):
        _die(f"value does not look like a valid address: {v}")
    return v


def mac_addr(v):
    # the I/G bit must not be set (pve-common refuses multicast MACs)
    if not re.fullmatch(r"[a-f0-9][02468ace](?::[a-f0-9]{2}){5}", v, re.I):
        _die("value does not look like a valid unicast MAC address")
    return v


def urlencoded(v):
    if not re.fullmatch(r"[-%a-zA-Z0-9_.!~*'()]*", v):
        _die(f"invalid urlencoded string: {v}")
    return v


def disk_size(v):
    from .jsonschema import parse_size

    if parse_size(v) is None:
        _die(f"value does not look like a valid disk size: {v}")
    return v


def startup_order(v):
    ok = bool(v)
    for p in v.split(","):
        if re.fullmatch(r"\s*", p):
            continue
        if not (re.fullmatch(r"(order=)?\d+", p) or re.fullmatch(r"(up|down)=\d+", p)):
            ok = False
    if not ok:
        _die("unable to parse startup options")
    return v


def pve_tag(v):
    if not re.fullmatch(r"[a-z0-9_][a-z0-9_\-+.]*", v, re.I):
        _die("invalid characters in tag")
    return v


def pve_volume_id(v):
    if not re.fullmatch(r"[a-z][a-z0-9\-_.]*[a-z0-9]:.+", v, re.I | re.S):
        _die(f"unable to parse volume ID '{v}'")
    return v


def volume_id_or_absolute_path(v):
    if v.startswith("/"):
        return v
    return pve_volume_id(v)


def volume_id_or_qm_path(v):
    if v in ("none", "cdrom"):
        return v
    return volume_id_or_absolute_path(v)


def lxc_mp_string(v):
    if re.search(r"/\.\.?/", v) or re.search(r"/\.\.?$", v) or v.startswith("../"):
        _die(f"{v} contains illegal character sequences")
    return v


def pve_poolid(v):
    if len(v.split("/")) > 3:
        _die(f"pool name '{v}' nested too deeply (max levels = 3)")
    if not re.fullmatch(r"[A-Za-z0-9.\-_]+(?:/[A-Za-z0-9.\-_]+){0,2}", v):
        _die(f"pool name '{v}' contains invalid characters")
    return v


STORAGE_CONTENT_TYPES = ("images", "rootdir", "vztmpl", "iso", "backup", "snippets", "import")


def storage_content(v):
    if v not in STORAGE_CONTENT_TYPES:
        _die(f"invalid content type '{v}'")
    return v


def lxc_ip_with_ll_iface(v):
    m = re.fullmatch(r"(fe80:[^%]+)%(.*)", v)
    if m and is_ipv6(m.group(1)) and re.fullmatch(r"[a-z][a-z0-9_]{1,20}([:.]\d+)?", m.group(2), re.I):
        return v
    return ip(v)


def _zone_exists(tz):
    if tz == "UTC":
        return True
    try:
        with open("/usr/share/zoneinfo/zone.tab", encoding="utf-8") as f:
            return any(len(cols) > 2 and cols[2] == tz for cols in (line.rstrip("\n").split("\t") for line in f if not line.startswith("#")))
    except OSError:
        # no tzdata here: accept what looks like Region/City
        return re.fullmatch(r"[A-Za-z_]+(/[A-Za-z0-9_+\-]+)+", tz) is not None


def timezone(v):
    if not _zone_exists(v):
        _die(f"invalid time zone '{v}'")
    return v


def ct_timezone(v):
    return v if v == "host" else timezone(v)


def email_or_username(v):
    if not re.fullmatch(r"[^\s@]+@[^\s@]+|[^\s:@]+(@[A-Za-z][A-Za-z0-9.\-_]+)?", v):
        _die("value does not look like a valid email address or user name")
    return v


def pve_cpuset(v):
    if not re.fullmatch(r"\d+(-\d+)?(,\d+(-\d+)?)*", v):
        _die("unable to parse cpuset option")
    return v


_DRIVE_RE = r"(ide[0-3]|sata[0-5]|scsi([0-9]|[12][0-9]|30)|virtio([0-9]|1[0-5])|efidisk0|tpmstate0)"


def qm_bootdisk(v):
    if not re.fullmatch(_DRIVE_RE, v) or v.startswith(("efidisk", "tpmstate")):
        _die(f"invalid drive name '{v}'")
    return v


def qm_bootdev(v):
    if re.fullmatch(_DRIVE_RE, v) and not v.startswith(("efidisk", "tpmstate")):
        return v
    if re.fullmatch(r"(net([0-9]|[12][0-9]|3[01])|usb([0-9]|1[0-4])|hostpci([0-9]|1[0-5]))", v):
        return v
    _die(f"invalid boot device '{v}'")


# pve-qm-boot is a hash format registered by qemu-server (not in the schema file)
QM_BOOT_FORMAT = {
    "legacy": {"optional": 1, "default_key": 1, "type": "string", "pattern": "[acdn]{1,4}"},
    "order": {"optional": 1, "type": "string", "format": "pve-qm-bootdev-list"},
}

# cloud-init ipconfigN (qemu-server's pve-qm-ipconfig)
QM_IPCONFIG_FORMAT = {
    "ip": {"optional": 1, "type": "string", "format": "pve-ipv4-config"},
    "gw": {"optional": 1, "type": "string", "format": "ipv4"},
    "ip6": {"optional": 1, "type": "string", "format": "pve-ipv6-config"},
    "gw6": {"optional": 1, "type": "string", "format": "ipv6"},
}

_REGISTRY = {
    "pve-vmid": pve_vmid,
    "pve-node": pve_node,
    "pve-storage-id": pve_storage_id,
    "pve-bridge-id": pve_bridge_id,
    "pve-configid": pve_configid,
    "dns-name": dns_name,
    "ipv4": ipv4,
    "ipv6": ipv6,
    "ip": ip,
    "CIDR": cidr,
    "CIDRv4": cidrv4,
    "CIDRv6": cidrv6,
    "pve-ipv4-config": ipv4_config,
    "pve-ipv6-config": ipv6_config,
    "address": address,
    "mac-addr": mac_addr,
    "urlencoded": urlencoded,
    "disk-size": disk_size,
    "pve-startup-order": startup_order,
    "pve-tag": pve_tag,
    "pve-volume-id": pve_volume_id,
    "pve-volume-id-or-absolute-path": volume_id_or_absolute_path,
    "pve-volume-id-or-qm-path": volume_id_or_qm_path,
    "pve-lxc-mp-string": lxc_mp_string,
    "pve-poolid": pve_poolid,
    "pve-storage-content": storage_content,
    "lxc-ip-with-ll-iface": lxc_ip_with_ll_iface,
    "timezone": timezone,
    "pve-ct-timezone": ct_timezone,
    "email-or-username": email_or_username,
    "pve-cpuset": pve_cpuset,
    "pve-qm-bootdisk": qm_bootdisk,
    "pve-qm-bootdev": qm_bootdev,
    "pve-qm-boot": QM_BOOT_FORMAT,
    "pve-qm-ipconfig": QM_IPCONFIG_FORMAT,
    # registered so '-list' works on it ('string-list')
    "string": lambda v: v,
}

# Hash formats the schema file shows inline under another key; the schema
# loader registers them here (e.g. 'pve-qm-ide', the format of qemu's
# 'cdrom', is the object shown for 'ide[n]').
_BORROWED = {}


def register_hash_format(name, fmt):
    _BORROWED[name] = fmt


def lookup(name, context=None):
    return _REGISTRY.get(name) or _BORROWED.get(name)


def known_names():
    return sorted(set(_REGISTRY) | set(_BORROWED))

