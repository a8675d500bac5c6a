"""The shared state of the simulated cluster: nodes, storages, volumes,
guests, and the per-guest config file locks.

One re-entrant lock guards everything (`cluster.lock`); code that reads or
changes state holds it. Two kinds of guest locks exist, as in Proxmox:

* the `lock` config property ('create', 'disk', 'clone', 'backup', ...),
  shown in the config and status, refused by check_lock ("CT is locked
  (disk)");
* the flock on /run/lock/lxc/pve-config-N.lock (qemu:
  /var/lock/qemu-server/lock-N.conf) that lock_config takes around a config
  change, held by a worker for its whole run in many tasks. Waiting for it
  times out with "can't lock file '...' - got timeout". `acquire_flock`
  models it, owner by owner, shared or exclusive.
"""

import copy
import threading
import time

from . import storage as st
from .errors import ApiError


class Storage:
    def __init__(self, d):
        self.sid = d["storage"]
        self.type = d["type"]
        content = d.get("content", "images,rootdir")
        self.content = content.split(",") if isinstance(content, str) else list(content)
        self.shared = bool(int(d.get("shared", 0)))
        self.nodes = d.get("nodes")  # None: every node
        self.total = int(d.get("total", 100 * st.GIB))
        self.base_used = int(d.get("base_used", 0))
        self.path = d.get("path")
        self.disabled = bool(int(d.get("disable", 0)))

    def enabled_on(self, node):
        return not self.disabled and (self.nodes is None or node in self.nodes)

    def pool(self, node):
        """Shared storages have one pool of space and volumes; others one per node."""
        return None if self.shared else node

    def to_json(self):
        return {
            "storage": self.sid,
            "type": self.type,
            "content": ",".join(self.content),
            "shared": int(self.shared),
            "nodes": self.nodes,
            "total": self.total,
            "base_used": self.base_used,
            "path": self.path,
        }


class Volume:
    def __init__(self, d, node):
        self.volid = d["volid"]
        self.sid, self.volname = st.split_volid(self.volid)
        self.node = node  # None on shared storage
        self.content = d.get("content") or st.content_of_volname(self.volname)
        self.format = d.get("format") or st.format_of_volname(self.volname)
        self.size = int(d.get("size", 0))
        # bytes counted against the storage (0 for a linked clone's overlay)
        self.alloc = int(d.get("alloc", self.size))
        self.ctime = int(d.get("ctime", time.time()))
        self.vmid = d.get("vmid")
        self.subtype = d.get("subtype")
        self.notes = d.get("notes")
        self.parent = d.get("parent")

    def to_json(self):
        out = {
            "volid": self.volid,
            "node": self.node,
            "content": self.content,
            "format": self.format,
            "size": self.size,
            "alloc": self.alloc,
            "ctime": self.ctime,
        }
        for key in ("vmid", "subtype", "notes", "parent"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


class Guest:
    def __init__(self, vmid, gtype, node, config, status="stopped"):
        self.vmid = int(vmid)
        self.type = gtype  # 'lxc' | 'qemu'
        self.node = node
        self.config = dict(config)
        self.status = status
        self.started_at = time.time() if status == "running" else None

    @property
    def lock(self):
        return self.config.get("lock")

    @property
    def is_template(self):
        return str(self.config.get("template", 0)) == "1"

    @property
    def kind(self):
        """'CT' or 'VM', as Proxmox's messages name the guest."""
        return "CT" if self.type == "lxc" else "VM"

    def conf_path(self, node=None):
        return conf_path(self.type, self.vmid, node or self.node)

    def to_json(self):
        return {
            "vmid": self.vmid,
            "type": self.type,
            "node": self.node,
            "status": self.status,
            "lock": self.lock,
            "template": 1 if self.is_template else 0,
            "config": copy.deepcopy(self.config),
        }


def conf_path(gtype, vmid, node):
    """The pmxcfs path load_config names in its error."""
    sub = "lxc" if gtype == "lxc" else "qemu-server"
    return f"nodes/{node}/{sub}/{vmid}.conf"


def flock_file(gtype, vmid):
    if gtype == "lxc":
        return f"/run/lock/lxc/pve-config-{vmid}.lock"
    return f"/var/lock/qemu-server/lock-{vmid}.conf"


class Cluster:
    def __init__(self, node_names, seed, clock):
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.clock = clock  # sim clock: .scale(seconds), .sleep(seconds)
        self.node_names = list(node_names)
        self.load(seed)

    # --- seed / snapshot ---------------------------------------------------

    def load(self, seed):
        with self.lock:
            self.nodes = {n: {"online": True} for n in self.node_names}
            self.storages = {}
            for d in seed.get("storages", []):
                s = Storage(d)
                self.storages[s.sid] = s
            self.volumes = {}
            for d in seed.get("volumes", []):
                sid = d["volid"].split(":", 1)[0]
                s = self.storages.get(sid)
                if s is None:
                    raise ValueError(f"seed volume {d['volid']}: no storage '{sid}'")
                node = None if s.shared else d.get("node")
                if not s.shared and node not in self.nodes:
                    raise ValueError(f"seed volume {d['volid']}: node {node!r} is not a cluster node")
                self.add_volume(Volume(d, node))
            self.guests = {}
            for d in seed.get("guests", []):
                if d["node"] not in self.nodes:
                    raise ValueError(f"seed guest {d['vmid']}: node {d['node']!r} is not a cluster node")
                g = Guest(d["vmid"], d["type"], d["node"], d.get("config", {}), d.get("status", "stopped"))
                self.guests[g.vmid] = g
            # flocks: vmid -> {"ex": owner or None, "sh": {owner: count}}
            self.flocks = {}
            self.cond.notify_all()

    def snapshot(self):
        with self.lock:
            usage = {}
            for s in self.storages.values():
                usage[s.sid] = {}
                for n in self.node_names:
                    if s.enabled_on(n):
                        total, used, avail = self.usage(s, n)
                        usage[s.sid][n] = {"total": total, "used": used, "avail": avail}
            return {
                "nodes": copy.deepcopy(self.nodes),
                "storages": [dict(s.to_json(), usage=usage[s.sid]) for s in self.storages.values()],
                "volumes": [v.to_json() for v in sorted(self.volumes.values(), key=lambda v: (v.volid, v.node or ""))],
                "guests": {str(g.vmid): g.to_json() for g in sorted(self.guests.values(), key=lambda g: g.vmid)},
                "flocks": {str(k): {"exclusive": v["ex"], "shared": sorted(v["sh"])} for k, v in self.flocks.items() if v["ex"] or v["sh"]},
            }

    # --- nodes ---------------------------------------------------------------

    def is_online(self, node):
        return self.nodes.get(node, {}).get("online", False)

    # --- storage -------------------------------------------------------------

    def storage(self, sid):
        return self.storages.get(sid)

    def volumes_in(self, s, node):
        pool = s.pool(node)
        return [v for v in self.volumes.values() if v.sid == s.sid and v.node == pool]

    def usage(self, s, node):
        used = s.base_used + sum(v.alloc for v in self.volumes_in(s, node))
        return s.total, used, max(s.total - used, 0)

    def add_volume(self, vol):
        self.volumes[(vol.node, vol.volid)] = vol

    def find_volume(self, volid, node):
        """The volume as seen from `node` (shared storages: from any node)."""
        sid = volid.split(":", 1)[0]
        s = self.storages.get(sid)
        if s is None:
            return None
        return self.volumes.get((s.pool(node), volid))

    def remove_volume(self, vol):
        self.volumes.pop((vol.node, vol.volid), None)

    def rename_volume(self, vol, new_volid):
        self.remove_volume(vol)
        vol.volid = new_volid
        vol.sid, vol.volname = st.split_volid(new_volid)
        self.add_volume(vol)

    def free_disk_index(self, s, node, vmid):
        """find_free_diskname: the lowest N unused by vm-/base-/subvol-VMID-disk-N."""
        used = set()
        for v in self.volumes_in(s, node):
            last = v.volname.split("/")[-1]
            for prefix in ("vm", "base", "subvol"):
                head = f"{prefix}-{vmid}-disk-"
                if last.startswith(head):
                    num = last[len(head):].split(".")[0]
                    if num.isdigit():
                        used.add(int(num))
        i = 0
        while i in used:
            i += 1
        return i

    def alloc_disk(self, s, node, vmid, size, content, fmt="raw", alloc=None, volname=None, parent=None):
        """vdisk_alloc: a new volume, or ApiError 500 when the space is short."""
        if volname is None:
            volname = st.disk_name(s.type, vmid, self.free_disk_index(s, node, vmid), fmt)
        counted = size if alloc is None else alloc
        _, _, avail = self.usage(s, node)
        if counted > avail:
            raise ApiError(500, st.no_space_message(s.type, volname, counted, avail) + "\n")
        vol = Volume(
            {"volid": f"{s.sid}:{volname}", "content": content, "format": fmt, "size": size, "alloc": counted, "vmid": vmid, "parent": parent},
            s.pool(node),
        )
        self.add_volume(vol)
        return vol

    # --- guests --------------------------------------------------------------

    def guest(self, vmid):
        return self.guests.get(int(vmid))

    def guests_on(self, node, gtype=None):
        # hash_to_array sorts by key, and keys are strings ('100' < '9')
        return [g for g in sorted(self.guests.values(), key=lambda g: str(g.vmid)) if g.node == node and (gtype is None or g.type == gtype)]

    def next_free_vmid(self, lower=100, upper=1000000):
        for i in range(lower, upper):
            if i not in self.guests:
                return i
        return None

    # --- config file locks (flock) -------------------------------------------

    def acquire_flock(self, gtype, vmid, owner, timeout, shared=False, faults=None):
        """lock_file_full: wait up to `timeout` (Proxmox seconds, scaled by
        --speed) for the lock; ApiError 500 "... got timeout" otherwise. A
        lock_timeout fault for the vmid makes it time out regardless."""
        vmid = int(vmid)
        scaled = self.clock.scale(timeout)
        if faults is not None and faults.take_lock_timeout(vmid):
            with self.cond:  # waits without holding the state lock
                self.cond.wait_for(lambda: False, scaled)
            raise ApiError(500, f"can't lock file '{flock_file(gtype, vmid)}' - got timeout\n")
        deadline = time.monotonic() + scaled
        with self.cond:
            entry = self.flocks.setdefault(vmid, {"ex": None, "sh": {}})
            while True:
                if shared:
                    free = entry["ex"] in (None, owner)
                else:
                    free = entry["ex"] in (None, owner) and all(o == owner for o in entry["sh"])
                if free:
                    if shared:
                        entry["sh"][owner] = entry["sh"].get(owner, 0) + 1
                    else:
                        entry["ex"] = owner
                        entry["ex_count"] = entry.get("ex_count", 0) + 1
                    return
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ApiError(500, f"can't lock file '{flock_file(gtype, vmid)}' - got timeout\n")
                self.cond.wait(left)

    def release_flock(self, vmid, owner, shared=False):
        with self.cond:
            entry = self.flocks.get(int(vmid))
            if not entry:
                return
            if shared:
                n = entry["sh"].get(owner, 0) - 1
                if n > 0:
                    entry["sh"][owner] = n
                else:
                    entry["sh"].pop(owner, None)
            elif entry["ex"] == owner:
                entry["ex_count"] = entry.get("ex_count", 1) - 1
                if entry["ex_count"] <= 0:
                    entry["ex"] = None
                    entry["ex_count"] = 0
            self.cond.notify_all()

    def transfer_flock(self, vmid, from_owner, to_owner):
        """A worker forked inside lock_config inherits the lock (flocks follow
        the open file, which the child shares)."""
        with self.cond:
            entry = self.flocks.get(int(vmid))
            if entry and entry["ex"] == from_owner:
                entry["ex"] = to_owner
                entry["ex_count"] = 1

    def release_all_flocks(self, owner):
        """A process that ends drops every flock it held."""
        with self.cond:
            for entry in self.flocks.values():
                if entry["ex"] == owner:
                    entry["ex"] = None
                    entry["ex_count"] = 0
                entry["sh"].pop(owner, None)
            self.cond.notify_all()

    def flock_holder(self, vmid):
        entry = self.flocks.get(int(vmid)) or {}
        return entry.get("ex") or next(iter(entry.get("sh", {})), None)


class FlockHeld:
    """`with FlockHeld(cluster, gtype, vmid, owner, timeout):` - lock_config."""

    def __init__(self, cluster, gtype, vmid, owner, timeout=10, shared=False, faults=None):
        self.args = (cluster, gtype, vmid, owner, timeout, shared, faults)

    def __enter__(self):
        cluster, gtype, vmid, owner, timeout, shared, faults = self.args
        cluster.acquire_flock(gtype, vmid, owner, timeout, shared, faults)
        return self

    def __exit__(self, *exc):
        cluster, _, vmid, owner, _, shared, _ = self.args
        cluster.release_flock(vmid, owner, shared)
        return False
