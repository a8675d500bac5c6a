"""What the endpoint modules share: the handler registry, the request
object, and helpers named after the Proxmox functions they stand for
(load_config, check_lock, check_vmid_unused, ...), with their texts.
"""

import hashlib
import itertools
import random
import re
import time

from . import jsonschema, storage as st
from .cluster import FlockHeld, conf_path
from .errors import ApiError, die, param_exc, perm_exc

HANDLERS = {}


def api(method, path):
    """Registers the behaviour of one schema endpoint."""

    def deco(fn):
        HANDLERS[(method, path)] = fn
        return fn

    return deco


class Request:
    """One API call as the node that runs it sees it."""

    _seq = itertools.count(1)

    def __init__(self, sim, endpoint, node, params):
        self.sim = sim
        self.endpoint = endpoint
        self.node = node  # the node executing (after proxying)
        self.params = params  # validated: str values
        self.owner = f"request-{next(Request._seq)}"  # flock owner for sync work
        self.total = None  # the 'total' result attribute (task log)

    @property
    def cluster(self):
        return self.sim.cluster

    def flock(self, gtype, vmid, timeout=10, shared=False):
        return FlockHeld(self.cluster, gtype, vmid, self.owner, timeout, shared, self.sim.faults)

    def user_is_root(self):
        return self.sim.token_user == "root@pam"


# --- guests ------------------------------------------------------------------


def kind_of(gtype):
    return "CT" if gtype == "lxc" else "VM"


def load_config(cluster, gtype, vmid, node):
    """AbstractConfig::load_config: the guest of that type on that node."""
    g = cluster.guest(vmid)
    if g is None or g.type != gtype or g.node != node:
        die(f"Configuration file '{conf_path(gtype, vmid, node)}' does not exist")
    return g


def check_lock(g):
    if g.lock:
        die(f"{g.kind} is locked ({g.lock})")


def check_protection(g, what):
    if str(g.config.get("protection", 0)) == "1":
        die(f"{what} - protection mode enabled")


def check_vmid_unused(cluster, vmid):
    g = cluster.guest(vmid)
    if g is not None:
        die(f"{g.kind} {vmid} already exists on node '{g.node}'")


def check_node_exists(sim, node):
    if node not in sim.cluster.nodes:
        die(f"no such cluster node '{node}'")


def check_pool_exist(pool):
    # the simulated cluster has no pools
    die(f"pool '{pool}' does not exist")


def storage_check_enabled(cluster, sid, node):
    s = cluster.storage(sid)
    if s is None:
        die(f"storage '{sid}' does not exist")
    if not s.enabled_on(node):
        die(f"storage '{sid}' is not available on node '{node}'")
    return s


def root_only(req, *keys):
    """raise_param_exc({k => "Only root may use this option."}) for tokens."""
    for k in keys:
        if jsonschema._perl_true(req.params.get(k)) and not req.user_is_root():
            param_exc({k: "Only root may use this option."})


def random_mac():
    # PVE::Tools::random_ether_addr with the default prefix BC:24:11 (Proxmox's OUI)
    return "BC:24:11:%02X:%02X:%02X" % (random.randrange(256), random.randrange(256), random.randrange(256))


def config_value(endpoint, key, text):
    """A parameter as the config holds it: numbers for integer/number/boolean
    properties (the API returns those as JSON numbers), text otherwise."""
    sub = endpoint.property(key) if endpoint else None
    typ = sub.get("type") if sub else None
    try:
        if typ in ("integer", "boolean"):
            return int(text)
        if typ == "number":
            f = float(text)
            return int(f) if f.is_integer() and re.fullmatch(r"[+-]?\d+", str(text)) else f
    except (TypeError, ValueError):
        pass
    return text


def config_digest(config):
    text = "".join(f"{k}: {config[k]}\n" for k in sorted(config))
    return hashlib.sha1(text.encode()).hexdigest()


def config_json(g):
    out = {k: v for k, v in sorted(g.config.items())}
    out["digest"] = config_digest(g.config)
    return out


def parse_prop(sim, method, path, key, value):
    """A property string from the config parsed with its schema format."""
    fmt = sim.schema.format_of(method, path, key)
    if fmt is None:
        return None, None
    return jsonschema.parse_property_string(fmt, value, key), fmt


def size_of(value):
    return jsonschema.parse_size(value) if value is not None else None


NEW_DISK_RE = re.compile(r"(?:([^/:\s]+):)?(\d+(?:\.\d+)?)")


def new_disk(volume, default_storage=None):
    """'local-lvm:8' -> ('local-lvm', 8 GiB); None when not a new-disk spec."""
    m = NEW_DISK_RE.fullmatch(volume or "")
    if not m:
        return None
    sid = m.group(1) or default_storage
    return sid, int(float(m.group(2)) * st.GIB)


# --- storage ------------------------------------------------------------------


def storage_path(s, volname):
    """A volume's path the way task logs print it."""
    if s.type in ("lvmthin", "lvm"):
        return f"/dev/pve/{volname}"
    base = s.path or f"/mnt/pve/{s.sid}"
    content = st.content_of_volname(volname)
    if content == "iso":
        return f"{base}/template/iso/{volname.split('/', 1)[1]}"
    if content == "vztmpl":
        return f"{base}/template/cache/{volname.split('/', 1)[1]}"
    if content == "backup":
        return f"{base}/dump/{volname.split('/', 1)[1]}"
    return f"{base}/images/{volname}"


def check_volume_access(cluster, volid, content_type=None):
    """PVE::Storage::check_volume_access for a token with full rights."""
    if ":" not in volid:
        die("Only root can pass arbitrary filesystem paths.")
    sid, volname = st.split_volid(volid)
    if cluster.storage(sid) is None:
        die(f"storage '{sid}' does not exist")
    vtype = st.content_of_volname(volname)
    if content_type and vtype != content_type and not (content_type == "rootdir" and vtype == "images"):
        die(f"unable to use volume {volid} - content type needs to be '{content_type}'")
    return vtype


def now():
    return int(time.time())


def uptime_of(g):
    return int(time.time() - g.started_at) if g.status == "running" and g.started_at else 0


def add_guest_status(d, g, pid_base, traffic):
    """What vmstatus reports alike for containers and VMs: I/O counters that
    grow with the uptime, the pid while running, template, lock and tags.
    `traffic`: (netin, netout, diskread, diskwrite) rates, so the two kinds
    keep looking different."""
    running = g.status == "running"
    netin, netout, diskread, diskwrite = traffic
    d["netin"] = netin * uptime_of(g)
    d["netout"] = netout * uptime_of(g)
    d["diskread"] = diskread if running else 0
    d["diskwrite"] = diskwrite if running else 0
    if running:
        d["pid"] = pid_base + g.vmid % 50000
    if g.is_template:
        d["template"] = 1
    if g.lock:
        d["lock"] = g.lock
    if g.config.get("tags"):
        d["tags"] = g.config["tags"]
    return d


__all__ = [
    "api", "HANDLERS", "Request", "ApiError", "die", "param_exc", "perm_exc",
    "load_config", "check_lock", "check_protection", "check_vmid_unused", "check_node_exists",
    "check_pool_exist", "storage_check_enabled", "root_only", "random_mac", "config_value",
    "config_digest", "config_json", "parse_prop", "size_of", "new_disk", "storage_path",
    "check_volume_access", "now", "uptime_of", "add_guest_status", "kind_of",
]
