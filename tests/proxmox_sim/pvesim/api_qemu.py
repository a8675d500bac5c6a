"""Virtual machines: /nodes/{node}/qemu..., after qemu-server's
src/PVE/API2/Qemu.pm and QemuServer.pm.

Differences from containers that clients meet, all from the real code:
* a clone takes only a shared flock on the source (parallel clones of a
  template work) and puts lock 'clone' on the new VM;
* `newid` taken on another node is found in the worker, not before it;
* start/stop check the config only in the worker (a wrong node gives a
  UPID whose task fails);
* drives are allocated by the create worker, cdroms are not checked to
  exist until start.
"""

import re
import time
import uuid

from . import jsonschema, storage as st
from .api_common import (
    api, check_lock, check_node_exists, check_pool_exist, check_protection, check_vmid_unused,
    check_volume_access, config_digest, config_json, config_value, die, load_config, new_disk,
    param_exc, random_mac, root_only, storage_check_enabled, storage_path, uptime_of, add_guest_status,
)
from .cluster import FlockHeld, Guest
from .errors import ApiError
from .tasks import TaskFailed, TaskInterrupted

P_CREATE = "/nodes/{node}/qemu"
P_CONFIG = "/nodes/{node}/qemu/{vmid}/config"
WORKER_ERRORS = (TaskFailed, TaskInterrupted, ApiError)

# valid_drive_names: the order matters (first disk = default boot disk)
DRIVE_NAMES = (
    [f"ide{i}" for i in range(4)]
    + [f"scsi{i}" for i in range(31)]
    + [f"virtio{i}" for i in range(16)]
    + [f"sata{i}" for i in range(6)]
    + ["efidisk0", "tpmstate0"]
)
DRIVE_SET = set(DRIVE_NAMES)
EFIVARS_SIZE = {"4m": 540672, "2m": 131072}
QEMU_VERSION = "9.2.0"


def _msg(e):
    return (e.message if hasattr(e, "message") else str(e)).rstrip("\n")


def drive_format(sim, key):
    base = re.sub(r"\d+$", "[n]", key) if key not in ("efidisk0", "tpmstate0") else key
    e = sim.schema.get("POST", P_CREATE)
    sub = e.raw_properties.get(base) or e.raw_properties.get(key)
    return sub["format"]


def parse_drive(sim, key, value):
    return jsonschema.parse_property_string(drive_format(sim, key), value, key)


def print_drive(sim, key, drive):
    return jsonschema.print_property_string(drive, drive_format(sim, key))


def is_cdrom(drive):
    return drive.get("media") == "cdrom" or drive.get("file") in ("cdrom", "none")


def is_cloudinit(drive):
    return str(drive.get("file", "")).endswith("cloudinit")


def normalize_net(sim, value):
    """add_random_macs + print_net: 'virtio,bridge=vmbr0' -> 'virtio=BC:24:11:..,bridge=vmbr0'."""
    fmt = sim.schema.format_of("POST", P_CREATE, "net0")
    net = jsonschema.parse_property_string(fmt, value, "net0")
    net.setdefault("macaddr", random_mac())
    return jsonschema.print_property_string(net, fmt)


def memory_mib(conf):
    mem = conf.get("memory")
    if mem is None:
        return 512
    m = re.search(r"(?:current=)?(\d+)", str(mem))
    return int(m.group(1)) if m else 512


def drives_of(sim, conf):
    """{key: parsed drive} for the disk/cdrom keys of a config."""
    out = {}
    for key in DRIVE_NAMES:
        if key in conf:
            out[key] = parse_drive(sim, key, conf[key])
    return out


def boot_disk(sim, conf):
    drives = drives_of(sim, conf)
    order = re.search(r"order=([^,]+)", str(conf.get("boot", "")))
    candidates = order.group(1).split(";") if order else list(drives)
    for key in candidates:
        d = drives.get(key)
        if d and not is_cdrom(d) and key not in ("efidisk0", "tpmstate0"):
            return d
    return None


def vmstatus(sim, g, full=False):
    """PVE::QemuServer::vmstatus for one VM."""
    conf = g.config
    running = g.status == "running"
    disk = boot_disk(sim, conf)
    maxdisk = jsonschema.parse_size(disk.get("size", "0")) if disk else 0
    maxmem = memory_mib(conf) * (1 << 20)
    cpus = int(conf.get("sockets", 1)) * int(conf.get("cores", 1))
    d = {
        "vmid": g.vmid,
        "status": g.status,
        "name": conf.get("name") or f"VM{g.vmid}",
        "cpus": int(conf.get("vcpus", cpus)),
        "maxmem": maxmem,
        "mem": int(maxmem * 0.35) if running else 0,
        "maxdisk": maxdisk or 0,
        "disk": 0,
        "uptime": uptime_of(g),
        "cpu": 0.0231 if running else 0,
    }
    add_guest_status(d, g, 200000, (120345, 60321, 234567890, 34567890))
    if full:
        d["qmpstatus"] = g.status
        d["ha"] = {"managed": 0}
        if running:
            d["running-machine"] = "pc-q35-9.2+pve1" if "q35" in str(conf.get("machine", "")) else "pc-i440fx-9.2+pve1"
            d["running-qemu"] = QEMU_VERSION
        if conf.get("agent"):
            d["agent"] = 1
    return d


@api("GET", "/nodes/{node}/qemu")
def qemu_index(req):
    with req.cluster.lock:
        return [vmstatus(req.sim, g) for g in req.cluster.guests_on(req.node, "qemu")]


@api("GET", "/nodes/{node}/qemu/{vmid}/status/current")
def qemu_status_current(req):
    with req.cluster.lock:
        g = load_config(req.cluster, "qemu", req.params["vmid"], req.node)
        return vmstatus(req.sim, g, full=True)


@api("GET", P_CONFIG)
def qemu_config_get(req):
    with req.cluster.lock:
        return config_json(load_config(req.cluster, "qemu", req.params["vmid"], req.node))


# --- drives ---------------------------------------------------------------------


def check_storage_access(req, params, default_storage):
    """$check_storage_access in API2/Qemu.pm, before the worker."""
    c = req.cluster
    for key in DRIVE_NAMES:
        if key not in params:
            continue
        drive = parse_drive(req.sim, key, params[key])
        volid = drive.get("file", "")
        if not volid or volid in ("none", "cdrom") or volid.endswith("cloudinit"):
            continue
        nd = None if is_cdrom(drive) else new_disk(volid, default_storage)
        if nd is not None:
            if not nd[0]:
                die("no storage ID specified (and no default storage)")
            s = c.storage(nd[0])
            if s is None:
                die(f"storage '{nd[0]}' does not exist")
            if "images" not in s.content:
                param_exc({"storage": f"storage '{nd[0]}' does not support vm images"})
        else:
            vtype = check_volume_access(c, volid)
            if vtype not in ("images", "iso"):
                param_exc({key: "content type needs to be 'images' or 'iso'"})


def create_disks(t, req, node, vmid, params, default_storage, vols):
    """The create worker's create_disks: allocate 'STORAGE:SIZE' drives."""
    sim, c = req.sim, req.cluster
    conf = {}
    for key in DRIVE_NAMES:
        if key not in params:
            continue
        drive = parse_drive(sim, key, params[key])
        nd = None if is_cdrom(drive) else new_disk(drive.get("file", ""), default_storage)
        if nd is not None:
            sid, size = nd
            with c.lock:
                s = storage_check_enabled(c, sid, node)
                if key == "efidisk0":
                    size = EFIVARS_SIZE.get(drive.get("efitype", "2m"), 131072)
                elif key == "tpmstate0":
                    size = 4 << 20
                if s.type in ("lvmthin", "lvm"):
                    size = -(-size // (4 << 20)) * (4 << 20)  # LVs come in 4 MiB extents
                vol = c.alloc_disk(s, node, vmid, size, "images", drive.get("format", "raw"))
                vols.append(vol.volid)
            for line in st.alloc_output(s.type, vol.volname, size, False, storage_path(s, vol.volname)):
                t.log(line)
            if key == "efidisk0":
                efi = EFIVARS_SIZE.get(drive.get("efitype", "2m"), 131072)
                t.progress(0.1, [f"transferred {st.render_bytes(efi * pct // 100, 1)} of {st.render_bytes(efi, 1)} ({pct:.2f}%)" for pct in (0, 100)])
            else:
                t.sleep(0.15)
            drive["file"], drive["size"] = vol.volid, size
            drive.pop("import-from", None)
        conf[key] = print_drive(sim, key, drive)
    return conf


# --- create --------------------------------------------------------------------


@api("POST", P_CREATE)
def qemu_create(req):
    sim, c = req.sim, req.cluster
    p = dict(req.params)
    node = p.pop("node")
    vmid = int(p.pop("vmid"))
    if p.pop("archive", None) is not None:
        die("restore is not implemented by this simulator")
    for k in ("bwlimit", "force", "ha-managed", "unique", "live-restore", "import-working-storage"):
        p.pop(k, None)
    pool = p.pop("pool", None)
    start_after = p.pop("start", "0") == "1"
    default_storage = p.pop("storage", None)
    if "sshkeys" in p:
        from urllib.parse import unquote

        for line in unquote(p["sshkeys"]).splitlines():
            if line.strip() and not re.match(r"\S+ \S+", line.strip()):
                die(f"unable to parse ssh key: {line}")
    with c.lock:
        if pool is not None:
            check_pool_exist(pool)
        if "cdrom" in p:  # resolve_cdrom_alias
            if "ide2" in p:
                param_exc({"cdrom": "conflicts with ide2"})
            value = p.pop("cdrom")
            p["ide2"] = value if "media=" in value else f"{value},media=cdrom"
        check_storage_access(req, p, default_storage)
        for key in [k for k in p if re.fullmatch(r"net\d+", k)]:
            p[key] = normalize_net(sim, p[key])
        # create_and_lock_config
        try:
            check_vmid_unused(c, vmid)
        except ApiError as e:
            die(f"unable to create VM {vmid} - {e.message}")
        c.guests[vmid] = Guest(vmid, "qemu", node, {"lock": "create"})
    endpoint = sim.schema.get("POST", P_CREATE)

    def body(t):
        vols = []
        with FlockHeld(c, "qemu", vmid, t.upid, 1, faults=sim.faults):
            try:
                disks = create_disks(t, req, node, vmid, p, default_storage, vols)
                conf = {k: config_value(endpoint, k, v) for k, v in p.items() if k not in disks}
                conf.update(disks)
                if "boot" not in conf:
                    devs = []
                    drives = drives_of(sim, conf)
                    first_disk = next((k for k, d in drives.items() if not is_cdrom(d) and k not in ("efidisk0", "tpmstate0")), None)
                    first_cd = next((k for k, d in drives.items() if is_cdrom(d)), None)
                    first_net = next((f"net{i}" for i in range(32) if f"net{i}" in conf), None)
                    devs = [d for d in (first_disk, first_cd, first_net) if d]
                    if devs:
                        conf["boot"] = "order=" + ";".join(devs)
                conf.setdefault("smbios1", f"uuid={uuid.uuid4()}")
                if conf.get("vmgenid", "1") == "1":
                    conf["vmgenid"] = str(uuid.uuid4())
                conf["meta"] = f"creation-qemu={QEMU_VERSION},ctime={int(time.time())}"
                t.sleep(0.3)
                t.fault_point()
                with c.lock:
                    c.guests[vmid].config = dict(sorted(conf.items()))
            except WORKER_ERRORS as e:
                with c.lock:
                    free_volumes(c, node, vols)
                    c.guests.pop(vmid, None)
                raise TaskFailed(f"unable to create VM {vmid} - {_msg(e)}")
        if start_after:
            t.log("Execute autostart")
            try:
                _start(t, sim, node, vmid, skiplock=False)
            except WORKER_ERRORS as e:
                t.log(_msg(e))  # warn $@: logged, the create still succeeded

    return sim.tasks.start(node, "qmcreate", vmid, body).upid


def free_volumes(c, node, volids, t=None):
    for volid in volids:
        vol = c.find_volume(volid, node)
        if vol is not None:
            c.remove_volume(vol)
            if t is not None:
                for line in st.free_output(c.storage(vol.sid).type, vol.volname):
                    t.log(line)


def disk_volids(sim, conf):
    out = []
    for key, d in drives_of(sim, conf).items():
        if not is_cdrom(d) and ":" in d.get("file", ""):
            out.append(d["file"])
    for key in sorted(conf):
        if re.fullmatch(r"unused\d+", key):
            out.append(str(conf[key]).split(",")[0])
    return out


# --- clone ---------------------------------------------------------------------


@api("POST", "/nodes/{node}/qemu/{vmid}/clone")
def qemu_clone(req):
    sim, c = req.sim, req.cluster
    p = req.params
    node, vmid, newid = p["node"], int(p["vmid"]), int(p["newid"])
    pool, snapname, storage, fmt, target = p.get("pool"), p.get("snapname"), p.get("storage"), p.get("format"), p.get("target")
    if target in (node, "localhost"):
        target = None

    def check_running():
        g = c.guest(vmid)
        if g is None or g.type != "qemu" or g.node != node:
            die(f"unable to find configuration file for VM {vmid} on node '{node}'")
        return g.status == "running"

    with c.lock:
        running = check_running()

    def load_and_check():
        with c.lock:
            if pool is not None:
                check_pool_exist(pool)
            if target:
                check_node_exists(sim, target)
            if storage:
                s = storage_check_enabled(c, storage, node)
                if "images" not in s.content:
                    param_exc({"storage": f"storage '{storage}' does not support vm images"})
                if target:
                    storage_check_enabled(c, storage, target)
                    if not s.shared:
                        die(f"can't clone to non-shared storage '{storage}'")
            g = load_config(c, "qemu", vmid, node)
            check_lock(g)
            if (g.status == "running") != running:
                die("unexpected state change")
            if snapname:
                die(f"snapshot '{snapname}' does not exist")
            full = p.get("full")
            full = (not g.is_template) if full is None else full == "1"
            if storage is not None and not full:
                die("parameter 'storage' not allowed for linked clones")
            if fmt is not None and not full:
                die("parameter 'format' not allowed for linked clones")
            newconf, drives, fullclone = {"lock": "clone"}, {}, {}
            sharedvm = True
            for opt in sorted(g.config):
                value = g.config[opt]
                if opt in ("snapshots", "parent", "snaptime", "vmstate", "snapstate", "lock") or re.fullmatch(r"unused\d+", opt):
                    continue
                if re.fullmatch(r"net\d+", opt):
                    nfmt = sim.schema.format_of("POST", P_CREATE, "net0")
                    net = jsonschema.parse_property_string(nfmt, value, opt)
                    net["macaddr"] = random_mac()
                    newconf[opt] = jsonschema.print_property_string(net, nfmt)
                elif opt in DRIVE_SET:
                    drive = parse_drive(sim, opt, value)
                    if is_cdrom(drive):
                        newconf[opt] = value
                        continue
                    volid = drive["file"]
                    sid, volname = st.split_volid(volid)
                    s = c.storage(sid)
                    if not c.storage(storage or sid).shared:
                        sharedvm = False
                    msg = f"clone feature is not supported for '{volid}' ({opt})"
                    if full or is_cloudinit(drive) or opt == "tpmstate0":
                        if not st.has_feature(s.type, "copy", volname, "qemu"):
                            die(f"Full {msg}")
                        fullclone[opt] = True
                    elif not st.has_feature(s.type, "clone", volname, "qemu"):
                        die(f"Linked {msg}")
                    drives[opt] = drive
                else:
                    newconf[opt] = value
            if target and not sharedvm:
                die(f"can't clone VM to node '{target}' (VM uses local storage)")
            other = c.guest(newid)
            if other is not None and other.node == node and other.type == "qemu":
                die(f"unable to create VM {newid}: config file already exists")
            return g, newconf, drives, fullclone

    load_and_check()  # early checks before forking/locking

    def body(t):
        # lock_source_vm (shared unless running) -> lock_target_vm -> clonefn
        FlockHeld(c, "qemu", vmid, t.upid, 1, shared=not running, faults=sim.faults).__enter__()
        FlockHeld(c, "qemu", newid, t.upid, 1, faults=sim.faults).__enter__()
        g, newconf, drives, fullclone = load_and_check()
        t.log(f"creating a clone of VM {vmid} with ID {newid}")
        newconf["smbios1"] = re.sub(r"uuid=[^,]*", f"uuid={uuid.uuid4()}", str(newconf.get("smbios1", ""))) or f"uuid={uuid.uuid4()}"
        if newconf.get("vmgenid"):
            newconf["vmgenid"] = str(uuid.uuid4())
        newconf.pop("template", None)
        newconf["name"] = p.get("name") or f"Copy-of-VM-{g.config.get('name', vmid)}"
        if p.get("description"):
            newconf["description"] = p["description"]
        with c.lock:
            # file_set_contents of the temporary config: pmxcfs refuses a
            # VMID that another node's directory already holds
            if c.guest(newid) is not None:
                die(f"close (rename) atomic file '/etc/pve/nodes/{node}/qemu-server/{newid}.conf' failed: File exists")
            c.guests[newid] = Guest(newid, "qemu", node, {"lock": "clone"})
        newvols = []
        try:
            t.signal_message = "interrupted by signal"
            for opt in sorted(drives):
                drive = dict(drives[opt])
                volid = drive["file"]
                sid, volname = st.split_volid(volid)
                with c.lock:
                    src_vol = c.find_volume(volid, node)
                    size = src_vol.size if src_vol else (jsonschema.parse_size(drive.get("size", "0")) or 0)
                    s = c.storage(storage or sid) if fullclone.get(opt) else c.storage(sid)
                kind = "full" if fullclone.get(opt) else "linked"
                t.log(f"create {kind} clone of drive {opt} ({volid})")
                if fullclone.get(opt):
                    with c.lock:
                        vol = c.alloc_disk(s, node, newid, size, "images", fmt or "raw")
                        newvols.append(vol.volid)
                    for line in st.alloc_output(s.type, vol.volname, size, False, storage_path(s, vol.volname)):
                        t.log(line)
                    steps = 10 if size > (64 << 20) else 1
                    lines = [f"transferred {st.render_bytes(0, 1)} of {st.render_bytes(size, 1)} (0.00%)"]
                    for i in range(1, steps + 1):
                        pct = 100.0 * i / steps
                        lines.append(f"transferred {st.render_bytes(int(size * pct / 100), 1)} of {st.render_bytes(size, 1)} ({pct:.2f}%)")
                    t.progress(0.8 if steps > 1 else 0.1, lines)
                else:
                    with c.lock:
                        index = c.free_disk_index(s, node, newid)
                        vol = c.alloc_disk(s, node, newid, size, "images", "raw" if s.type in st.BLOCK_TYPES else "qcow2", alloc=0,
                                           volname=st.linked_clone_volname(s.type, volname, newid, index), parent=volid)
                        newvols.append(vol.volid)
                    t.sleep(0.15)
                    if s.type in ("lvmthin", "lvm"):
                        t.log(f'  Logical volume "{vol.volname}" created.')
                drive["file"], drive["size"] = vol.volid, size
                newconf[opt] = print_drive(sim, opt, drive)
                with c.lock:
                    c.guests[newid].config = dict(sorted(newconf.items()))
            t.fault_point()
            newconf.pop("lock", None)
            with c.lock:
                ng = c.guests[newid]
                ng.config = dict(sorted(newconf.items()))
                if target:
                    ng.node = target
        except WORKER_ERRORS as e:
            t.signal_message = "received interrupt"
            t.sleep(1)
            with c.lock:
                free_volumes(c, node, newvols)
                c.guests.pop(newid, None)
            raise TaskFailed(f"clone failed: {_msg(e)}")

    return sim.tasks.start(node, "qmclone", vmid, body).upid


# --- template ------------------------------------------------------------------


@api("POST", "/nodes/{node}/qemu/{vmid}/template")
def qemu_template(req):
    sim, c = req.sim, req.cluster
    node, vmid, disk = req.params["node"], int(req.params["vmid"]), req.params.get("disk")

    def load_and_check():
        with c.lock:
            g = load_config(c, "qemu", vmid, node)
            check_lock(g)
            if g.is_template and not disk:
                die("you can't convert a template to a template")
            if g.status == "running":
                die("you can't convert a VM to template if VM is running")
            return g

    load_and_check()

    def body(t):
        with FlockHeld(c, "qemu", vmid, t.upid, 10, faults=sim.faults):
            g = load_and_check()
            with c.lock:
                g.config["template"] = 1
            for key, drive in drives_of(sim, g.config).items():
                if is_cdrom(drive) or (disk and key != disk) or ":" not in drive.get("file", ""):
                    continue
                volid = drive["file"]
                sid, volname = st.split_volid(volid)
                with c.lock:
                    s = c.storage(sid)
                    if not st.has_feature(s.type, "template", volname, "qemu"):
                        die(f"Template feature is not available for '{volid}'")
                    new_volname = st.base_volname(s.type, volname)
                    vol = c.find_volume(volid, node)
                    if vol is not None:
                        c.rename_volume(vol, f"{sid}:{new_volname}")
                    drive["file"] = f"{sid}:{new_volname}"
                    g.config[key] = print_drive(sim, key, drive)
                if s.type in ("lvmthin", "lvm"):
                    t.log(f'  Renamed "{volname}" to "{new_volname}" in volume group "pve"')
                    t.log(f"  Logical volume pve/{new_volname} changed.")
                t.sleep(0.2)
            t.fault_point()
            with c.lock:
                g.config = dict(sorted(g.config.items()))

    return sim.tasks.start(node, "qmtemplate", vmid, body).upid


# --- destroy -------------------------------------------------------------------


@api("DELETE", "/nodes/{node}/qemu/{vmid}")
def qemu_destroy(req):
    sim, c = req.sim, req.cluster
    root_only(req, "skiplock")
    node, vmid = req.params["node"], int(req.params["vmid"])
    skiplock = req.params.get("skiplock") == "1"
    purge = req.params.get("purge") == "1"

    def early_checks():
        with c.lock:
            g = load_config(c, "qemu", vmid, node)
            check_protection(g, f"can't remove VM {vmid}")
            if g.status == "running":
                die(f"VM {vmid} is running - destroy failed")
            return g

    early_checks()

    def body(t):
        with FlockHeld(c, "qemu", vmid, t.upid, 10, faults=sim.faults):
            g = early_checks()
            with c.lock:
                if not skiplock:
                    check_lock(g)
                g.config["lock"] = "destroyed"
                volids = disk_volids(sim, g.config)
            t.sleep(0.3)
            t.fault_point()
            with c.lock:
                free_volumes(c, node, volids, t)
            if purge:
                t.log(f"purging VM {vmid} from related configurations..")
            with c.lock:
                c.guests.pop(vmid, None)

    return sim.tasks.start(node, "qmdestroy", vmid, body).upid


# --- config --------------------------------------------------------------------


def _update_config(req, node, vmid, p, skiplock, digest, delete, revert, t=None):
    sim, c = req.sim, req.cluster
    with c.lock:
        g = load_config(c, "qemu", vmid, node)
        if digest and digest != config_digest(g.config):
            die("checksum mismatch (file change by other user?)")
        if not skiplock:
            check_lock(g)
        create_props = sim.schema.get("POST", P_CREATE).properties
        for opt in revert:
            if opt not in create_props:
                param_exc({"revert": f"unknown option '{opt}'"})
        for opt in delete:
            if opt not in create_props and opt != "lock":
                param_exc({"delete": f"unknown option '{opt}'"})
            if opt in p:
                param_exc({"delete": f"you can't use '-{opt}' and -delete {opt}' at the same time"})
        check_storage_access(req, p, None)
    vols = []
    disks = {}
    if any(k in DRIVE_SET for k in p):
        class _Log:  # a config PUT prints allocations nowhere
            def log(self, _):
                pass

            def sleep(self, _):
                pass

            def progress(self, _s, _l):
                pass

        disks = create_disks(t or _Log(), req, node, vmid, {k: v for k, v in p.items() if k in DRIVE_SET}, None, vols)
    endpoint = sim.schema.get("POST", P_CREATE)
    with c.lock:
        g = load_config(c, "qemu", vmid, node)
        for opt in delete:
            value = g.config.pop(opt, None)
            if opt in DRIVE_SET and value:
                d = parse_drive(sim, opt, value)
                if not is_cdrom(d) and ":" in d.get("file", ""):
                    n = 0
                    while f"unused{n}" in g.config:
                        n += 1
                    g.config[f"unused{n}"] = d["file"]
        for key, value in p.items():
            if key in disks:
                g.config[key] = disks[key]
            elif re.fullmatch(r"net\d+", key):
                g.config[key] = normalize_net(sim, value)
            else:
                g.config[key] = config_value(endpoint, key, value)
        g.config = dict(sorted(g.config.items()))


def _config_params(req):
    p = dict(req.params)
    node, vmid = p.pop("node"), int(p.pop("vmid"))
    digest = p.pop("digest", None)
    p.pop("background_delay", None)
    p.pop("skip_cloud_init", None)
    p.pop("import-working-storage", None)
    root_only(req, "skiplock")
    skiplock = p.pop("skiplock", "0") == "1"
    delete = jsonschema.split_list(p.pop("delete", ""))
    revert = jsonschema.split_list(p.pop("revert", ""))
    p.pop("force", None)
    if not delete and not revert and not p:
        die("no options specified")
    return node, vmid, p, skiplock, digest, delete, revert


@api("PUT", P_CONFIG)
def qemu_config_put(req):
    node, vmid, p, skiplock, digest, delete, revert = _config_params(req)
    with req.cluster.lock:
        load_config(req.cluster, "qemu", vmid, node)  # early checks
    with req.flock("qemu", vmid):
        _update_config(req, node, vmid, p, skiplock, digest, delete, revert)
    return None


@api("POST", P_CONFIG)
def qemu_config_post(req):
    sim, c = req.sim, req.cluster
    background_delay = req.params.get("background_delay")
    node, vmid, p, skiplock, digest, delete, revert = _config_params(req)
    with c.lock:
        load_config(c, "qemu", vmid, node)

    def body(t):
        with FlockHeld(c, "qemu", vmid, t.upid, 10, faults=sim.faults):
            t.sleep(0.2)
            t.fault_point()
            _update_config(req, node, vmid, p, skiplock, digest, delete, revert, t)

    task = sim.tasks.start(node, "qmconfig", vmid, body)
    if background_delay:
        task.done.wait(int(background_delay))
        if not task.running:
            if task.exitstatus == "OK" or task.exitstatus.startswith("WARNINGS: "):
                return None
            die(f"failed to update VM {vmid}: {task.exitstatus}")
    return task.upid


# --- power ---------------------------------------------------------------------

ROOT_ONLY_START = ("stateuri", "skiplock", "migratedfrom", "migration_type", "migration_network",
                   "targetstorage", "force-cpu", "with-conntrack-state", "nets-host-mtu")


def _start(t, sim, node, vmid, skiplock):
    """vm_start: in the worker, under the config flock."""
    c = sim.cluster
    with FlockHeld(c, "qemu", vmid, t.upid, 10, faults=sim.faults):
        with c.lock:
            g = load_config(c, "qemu", vmid, node)
            if g.is_template:
                die("you can't start a vm if it's a template")
            if not skiplock and g.lock != "suspended":
                check_lock(g)
            if g.status == "running":
                die(f"VM {vmid} already running")
            for key, d in drives_of(sim, g.config).items():
                volid = d.get("file", "")
                if ":" in volid and not volid.endswith("cloudinit") and c.find_volume(volid, node) is None:
                    sid = volid.split(":", 1)[0]
                    s = c.storage(sid)
                    if s is None:
                        die(f"storage '{sid}' does not exist")
                    if not s.enabled_on(node):
                        die(f"storage '{sid}' is not available on node '{node}'")
                    die(f"volume '{volid}' does not exist")
        t.sleep(0.5)
        t.fault_point()
        with c.lock:
            g.status, g.started_at = "running", time.time()


@api("POST", "/nodes/{node}/qemu/{vmid}/status/start")
def qemu_start(req):
    root_only(req, *ROOT_ONLY_START)
    if req.params.get("targetstorage") and not req.params.get("migratedfrom"):
        param_exc({"targetstorage": "targetstorage can only by used with migratedfrom."})
    node, vmid = req.params["node"], int(req.params["vmid"])
    skiplock = req.params.get("skiplock") == "1"
    return req.sim.tasks.start(node, "qmstart", vmid, lambda t: _start(t, req.sim, node, vmid, skiplock)).upid


def _stop(req, ttype, seconds):
    sim, c = req.sim, req.cluster
    root_only(req, "skiplock", "keepActive", "migratedfrom")
    node, vmid = req.params["node"], int(req.params["vmid"])
    skiplock = req.params.get("skiplock") == "1"

    def body(t):
        with FlockHeld(c, "qemu", vmid, t.upid, 10, faults=sim.faults):
            with c.lock:
                g = load_config(c, "qemu", vmid, node)
                if not skiplock:
                    check_lock(g)
                running = g.status == "running"
            if not running:
                return  # stopping a stopped VM is no error
            t.sleep(seconds)
            t.fault_point()
            with c.lock:
                g.status, g.started_at = "stopped", None

    return sim.tasks.start(node, ttype, vmid, body).upid


@api("POST", "/nodes/{node}/qemu/{vmid}/status/stop")
def qemu_stop(req):
    return _stop(req, "qmstop", 0.3)


@api("POST", "/nodes/{node}/qemu/{vmid}/status/shutdown")
def qemu_shutdown(req):
    return _stop(req, "qmshutdown", 0.8)
