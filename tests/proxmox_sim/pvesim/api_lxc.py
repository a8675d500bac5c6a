"""Containers: /nodes/{node}/lxc..., after pve-container's
src/PVE/API2/LXC.pm, API2/LXC/Config.pm, API2/LXC/Status.pm and LXC.pm.

What happens synchronously (before the UPID is returned) and what happens
in the worker follows the real code, because clients see the difference:
a synchronous failure is an HTTP 500, a worker failure a task exit status.
"""

import re
import time

from . import jsonschema, storage as st
from .api_common import (
    api, check_lock, check_pool_exist, config_digest, check_protection, check_vmid_unused, check_volume_access,
    config_json, config_value, die, load_config, new_disk, param_exc, perm_exc, random_mac,
    root_only, storage_check_enabled, storage_path, uptime_of, add_guest_status,
)
from .cluster import FlockHeld, Guest
from .errors import ApiError
from .tasks import TaskFailed, TaskInterrupted

P_CREATE = "/nodes/{node}/lxc"
P_CONFIG = "/nodes/{node}/lxc/{vmid}/config"
MP_KEY = re.compile(r"rootfs|mp\d+")
WORKER_ERRORS = (TaskFailed, TaskInterrupted, ApiError)


def _msg(e):
    return (e.message if hasattr(e, "message") else str(e)).rstrip("\n")


# --- config helpers ------------------------------------------------------------


def mp_format(sim, key):
    return sim.schema.format_of("POST", P_CREATE, "rootfs" if key == "rootfs" else "mp0")


def parse_mp(sim, key, value):
    return jsonschema.parse_property_string(mp_format(sim, key), value, key)


def print_mp(sim, key, mp):
    return jsonschema.print_property_string(mp, mp_format(sim, key))


def normalize_net(sim, value):
    """parse_lxc_network + print_lxc_network: type veth, a random hwaddr when
    none is given, keys in Proxmox's order."""
    fmt = sim.schema.format_of("POST", P_CREATE, "net0")
    net = jsonschema.parse_property_string(fmt, value, "net0")
    net["type"] = "veth"
    net.setdefault("hwaddr", random_mac())
    return jsonschema.print_property_string(net, fmt)


def parse_features(sim, value):
    fmt = sim.schema.format_of("POST", P_CREATE, "features")
    return jsonschema.parse_property_string(fmt, value or "", "features") if value else {}


def check_modify_perm(req, oldconf, newparams, delete, unprivileged):
    """PVE::LXC::check_ct_modify_config_perm for an API token (never root@pam)."""
    if req.user_is_root():
        return
    for opt, is_delete in [(k, False) for k in newparams] + [(k, True) for k in delete]:
        if MP_KEY.fullmatch(opt) and not is_delete:
            mp = parse_mp(req.sim, opt, newparams[opt])
            if mp.get("volume", "").startswith("/"):
                perm_exc("mount point type bind is only allowed for root@pam")
        elif re.fullmatch(r"dev\d+", opt):
            perm_exc("configuring device passthrough is only allowed for root@pam")
        elif opt == "hookscript":
            perm_exc("changing the hookscript is only allowed for root@pam")
        elif opt == "features":
            if not unprivileged:
                perm_exc("changing feature flags for privileged container is only allowed for root@pam")
            new = parse_features(req.sim, None if is_delete else newparams.get(opt))
            old = parse_features(req.sim, (oldconf or {}).get(opt))
            if is_delete:
                changed_other = bool(old) and not (len(old) == 1 and "nesting" in old)
            elif old:
                changed_other = any(old.get(f, "") != new.get(f, "") for f in set(old) | set(new) if f != "nesting")
            else:
                changed_other = bool(new) and not (len(new) == 1 and "nesting" in new)
            if changed_other:
                perm_exc("changing feature flags (except nesting) is only allowed for root@pam")


def apply_params(req, conf, params):
    """update_pct_config for plain options (disks are handled by the caller)."""
    endpoint = req.sim.schema.get("POST", P_CREATE)
    for key, value in params.items():
        if re.fullmatch(r"net\d+", key):
            conf[key] = normalize_net(req.sim, value)
        elif re.fullmatch(r"unused\d+", key):
            continue
        else:
            conf[key] = config_value(endpoint, key, value)


def guest_volumes(sim, g):
    """(key, volid) of rootfs/mpN/unusedN that are storage volumes."""
    out = []
    for key in sorted(g.config, key=lambda k: (k != "rootfs", k)):
        if MP_KEY.fullmatch(key):
            vol = parse_mp(sim, key, g.config[key]).get("volume", "")
        elif re.fullmatch(r"unused\d+", key):
            vol = str(g.config[key])
        else:
            continue
        if ":" in vol and not vol.startswith("/"):
            out.append((key, vol))
    return out


def free_volumes(t_or_none, cluster, node, volids):
    for volid in volids:
        vol = cluster.find_volume(volid, node)
        if vol is None:
            continue
        s = cluster.storage(vol.sid)
        cluster.remove_volume(vol)
        if t_or_none is not None:
            for line in st.free_output(s.type, vol.volname):
                t_or_none.log(line)


# --- status --------------------------------------------------------------------


def vmstatus(sim, g):
    """PVE::LXC::vmstatus for one container."""
    conf = g.config
    maxdisk = 4 << 30
    if conf.get("rootfs"):
        try:
            size = parse_mp(sim, "rootfs", conf["rootfs"]).get("size")
            maxdisk = jsonschema.parse_size(size) or maxdisk
        except Exception:
            pass
    maxmem = int(conf.get("memory") or 512) * (1 << 20)
    running = g.status == "running"
    d = {
        "vmid": g.vmid,
        "type": "lxc",
        "status": g.status,
        "name": re.sub(r"\s", "", str(conf.get("hostname") or f"CT{g.vmid}")),
        "cpus": conf.get("cores") or conf.get("cpulimit") or 16,
        "maxdisk": maxdisk,
        "disk": int(maxdisk * 0.18) if running else 0,
        "maxmem": maxmem,
        "mem": int(maxmem * 0.12) if running else 0,
        "maxswap": int(conf.get("swap", 0)) * (1 << 20),
        "swap": 0,
        "uptime": uptime_of(g),
        "cpu": 0.0123 if running else 0,
    }
    return add_guest_status(d, g, 100000, (81234, 40321, 123456789, 23456789))


@api("GET", "/nodes/{node}/lxc")
def lxc_index(req):
    with req.cluster.lock:
        return [vmstatus(req.sim, g) for g in req.cluster.guests_on(req.node, "lxc")]


@api("GET", "/nodes/{node}/lxc/{vmid}/status/current")
def lxc_status_current(req):
    with req.cluster.lock:
        g = load_config(req.cluster, "lxc", req.params["vmid"], req.node)
        d = vmstatus(req.sim, g)
        d["ha"] = {"managed": 0}
        return d


@api("GET", P_CONFIG)
def lxc_config_get(req):
    with req.cluster.lock:
        return config_json(load_config(req.cluster, "lxc", req.params["vmid"], req.node))


# --- create --------------------------------------------------------------------


@api("POST", P_CREATE)
def lxc_create(req):
    sim, c = req.sim, req.cluster
    p = dict(req.params)
    node = p.pop("node")
    vmid = int(p.pop("vmid"))
    for k in ("ignore-unpack-errors", "bwlimit", "unique", "force", "ha-managed"):
        p.pop(k, None)
    start_after = p.pop("start", "0") == "1"
    unprivileged = p.pop("unprivileged", None)
    if p.pop("restore", "0") == "1":
        die("restore is not implemented by this simulator")
    unprivileged = 1 if unprivileged is None else int(unprivileged)
    password = p.pop("password", None)  # noqa: F841 - never stored (real: set in the rootfs)
    ssh_keys = p.pop("ssh-public-keys", None)
    pool = p.pop("pool", None)
    ostemplate = p.pop("ostemplate")
    default_storage = p.pop("storage", "local")

    with c.lock:
        check_vmid_unused(c, vmid)
        if ssh_keys is not None:
            for line in ssh_keys.splitlines():
                if line.strip() and not line.strip().startswith("#") and not re.match(r"\S+ \S+", line.strip()):
                    die(f"unable to parse ssh key: {line}")
        if pool is not None:
            check_pool_exist(pool)
        check_modify_perm(req, None, p, [], unprivileged)
        if ostemplate != "-":
            check_volume_access(c, ostemplate, "vztmpl")
        else:
            die("pipe requires cli environment")

        def check_and_activate_storage(sid):
            s = storage_check_enabled(c, sid, node)
            if "rootdir" not in s.content:
                param_exc({"storage": f"storage '{sid}' does not support container directories"})
            return s

        mp_param = {}
        for key in [k for k in p if MP_KEY.fullmatch(k)]:
            value = p.pop(key)
            mp_param[key] = f"{default_storage}:{value}" if re.fullmatch(r"\d+(\.\d+)?", value) else value
        if mp_param and "rootfs" not in mp_param:
            die("mount points configured, but 'rootfs' not set - aborting")
        for key, value in mp_param.items():
            volume = parse_mp(sim, key, value).get("volume", "")
            if volume.startswith("/"):
                die("Only root can pass arbitrary filesystem paths.")
            nd = new_disk(volume)
            check_and_activate_storage(nd[0] if nd else volume.split(":", 1)[0])
        if "rootfs" not in mp_param:
            check_and_activate_storage(default_storage)
            mp_param["rootfs"] = f"{default_storage}:4"

        conf = {}
        apply_params(req, conf, p)
        if unprivileged:
            conf["unprivileged"] = 1
        # create_and_lock_config: the CT exists (locked 'create') from now on
        try:
            check_vmid_unused(c, vmid)
        except ApiError as e:
            die(f"unable to create CT {vmid} - {e.message}")
        c.guests[vmid] = Guest(vmid, "lxc", node, {"lock": "create"})

    def body(t):
        vols = []
        with FlockHeld(c, "lxc", vmid, t.upid, 10, faults=sim.faults):
            try:
                with c.lock:
                    g = load_config(c, "lxc", vmid, node)
                # create_disks: rootfs first, then mount points
                for key in sorted(mp_param, key=lambda k: (k != "rootfs", k)):
                    mp = parse_mp(sim, key, mp_param[key])
                    nd = new_disk(mp["volume"])
                    if nd:
                        with c.lock:
                            s = c.storage(nd[0])
                            vol = c.alloc_disk(s, node, vmid, nd[1], "rootdir", "raw")
                            vols.append(vol.volid)
                        for line in st.alloc_output(s.type, vol.volname, nd[1], True, storage_path(s, vol.volname)):
                            t.log(line)
                        mp["volume"], mp["size"] = vol.volid, nd[1]
                        t.sleep(0.25)
                    conf[key] = print_mp(sim, key, mp)
                with c.lock:
                    tmpl = c.find_volume(ostemplate, node)
                if tmpl is None:
                    raise TaskFailed(f"volume '{ostemplate}' does not exist")
                tstore = c.storage(tmpl.sid)
                t.log(f"extracting archive '{storage_path(tstore, tmpl.volname)}'")
                t.sleep(0.6)
                t.fault_point()
                unpacked = tmpl.size * 4 + 12345
                t.log(f"Total bytes read: {unpacked} ({unpacked >> 20}MiB, 219MiB/s)")
                t.log(f"Detected container architecture: {conf.get('arch', 'amd64')}")
                hostname = conf.get("hostname") or f"CT{vmid}"
                for kind in ("rsa", "ecdsa", "ed25519"):
                    t.log(f"Creating SSH host key 'ssh_host_{kind}_key' - this may take some time ...")
                    t.sleep(0.1)
                    t.log(f"done: SHA256:{'x' * 43} root@{hostname}")
                # defaults set after a successful create
                conf.setdefault("hostname", f"CT{vmid}")
                conf.setdefault("memory", 512)
                conf.setdefault("swap", 512)
                conf.setdefault("arch", "amd64")
                conf.setdefault("ostype", _ostype_of(ostemplate))
                with c.lock:
                    g.config = dict(sorted(conf.items()))
            except WORKER_ERRORS as e:
                with c.lock:
                    free_volumes(None, c, node, vols)
                    c.guests.pop(vmid, None)
                raise TaskFailed(f"unable to create CT {vmid} - {_msg(e)}")
        if start_after:
            with c.lock:
                g.status, g.started_at = "running", time.time()

    return sim.tasks.start(node, "vzcreate", vmid, body).upid


def _ostype_of(ostemplate):
    name = ostemplate.split("/")[-1]
    for os_name in ("debian", "ubuntu", "alpine", "centos", "fedora", "archlinux", "opensuse", "rockylinux", "almalinux"):
        if name.startswith(os_name):
            return os_name
    return "unmanaged"


# --- clone ---------------------------------------------------------------------


@api("POST", "/nodes/{node}/lxc/{vmid}/clone")
def lxc_clone(req):
    sim, c = req.sim, req.cluster
    p = req.params
    node, vmid, newid = p["node"], int(p["vmid"]), int(p["newid"])
    pool, snapname, storage, target = p.get("pool"), p.get("snapname"), p.get("storage"), p.get("target")
    if pool is not None:
        check_pool_exist(pool)
    if target in (node, "localhost"):
        target = None
    if target and target not in c.nodes:
        die(f"no such cluster node '{target}'")
    if storage:
        storage_check_enabled(c, storage, node)
        if target:
            s = storage_check_enabled(c, storage, target)
            if not s.shared:
                die(f"can't clone to non-shared storage '{storage}'")

    # set_lock($vmid, 'disk'): lock_config + load_config + check_lock
    with req.flock("lxc", vmid):
        with c.lock:
            src = load_config(c, "lxc", vmid, node)
            check_lock(src)
            src.config["lock"] = "disk"
            src_conf = dict(src.config)

    def unlock_source():
        with c.lock:
            g = c.guest(vmid)
            if g is not None and g.lock == "disk":
                g.config.pop("lock", None)

    # create_and_lock_config($newid): the new CT exists, locked, from here on
    try:
        with req.flock("lxc", newid, timeout=5):
            with c.lock:
                check_vmid_unused(c, newid)
                c.guests[newid] = Guest(newid, "lxc", node, {"lock": "create"})
    except ApiError:
        unlock_source()
        raise

    mountpoints, fullclone = {}, {}
    try:
        with c.lock:
            running = src.status == "running"
            full = p.get("full")
            full = (not src.is_template) if full is None else full == "1"
            if storage is not None and not full:
                die("parameter 'storage' not allowed for linked clones")
            if snapname:
                die(f"snapshot '{snapname}' does not exist")
            newconf = {}
            sharedvm = True
            for opt in sorted(src_conf):
                value = src_conf[opt]
                if re.fullmatch(r"unused\d+", opt) or opt == "lock":
                    continue
                if MP_KEY.fullmatch(opt):
                    mp = parse_mp(sim, opt, value)
                    volid = mp.get("volume", "")
                    if volid.startswith("/") or ":" not in volid:
                        die(f"unable to clone mountpoint '{opt}' (type bind)")
                    sid, volname = st.split_volid(volid)
                    s = c.storage(storage or sid)
                    if not s.shared:
                        sharedvm = False
                    if full:
                        if running:
                            die("Full clone of a running container is only possible from a snapshot")
                        fullclone[opt] = True
                    elif not st.has_feature(c.storage(sid).type, "clone", volname, "lxc"):
                        die(f"Linked clone feature for '{volid}' is not available")
                    mountpoints[opt] = mp
                elif re.fullmatch(r"net\d+", opt):
                    fmt = sim.schema.format_of("POST", P_CREATE, "net0")
                    net = jsonschema.parse_property_string(fmt, value, opt)
                    net["hwaddr"] = random_mac()  # always a new MAC
                    newconf[opt] = jsonschema.print_property_string(net, fmt)
                else:
                    newconf[opt] = value
            if target and not sharedvm:
                die(f"can't clone CT to node '{target}' (CT uses local storage)")
            newconf["lock"] = "create"
            newconf.pop("template", None)
            if p.get("hostname"):
                newconf["hostname"] = p["hostname"]
            if p.get("description"):
                newconf["description"] = p["description"]
            c.guests[newid].config = dict(newconf)
    except ApiError:
        unlock_source()
        with c.lock:
            c.guests.pop(newid, None)
        raise

    def body(t):
        newvols = []
        t.log(f"creating a clone of container {vmid} with ID {newid}")
        try:
            t.signal_message = "interrupted by signal"
            for opt in sorted(mountpoints, key=lambda k: (k != "rootfs", k)):
                mp = dict(mountpoints[opt])
                volid = mp["volume"]
                sid, volname = st.split_volid(volid)
                with c.lock:
                    src_vol = c.find_volume(volid, node)
                    size = src_vol.size if src_vol else (jsonschema.parse_size(mp.get("size", "4G")) or 4 << 30)
                if fullclone.get(opt):
                    t.log(f"create full clone of mountpoint {opt} ({volid})")
                    with c.lock:
                        s = c.storage(storage or sid)
                        vol = c.alloc_disk(s, node, newid, size, "rootdir", "raw")
                        newvols.append(vol.volid)
                    t.progress(0.15, st.alloc_output(s.type, vol.volname, size, True, storage_path(s, vol.volname)))
                    t.sleep(0.55)  # rsync copying, silent until its --stats
                    t.progress(0.15, _rsync_stats(size))
                else:
                    t.log(f"create linked clone of mount point {opt} ({volid})")
                    with c.lock:
                        s = c.storage(sid)
                        index = c.free_disk_index(s, node, newid)
                        vol = c.alloc_disk(s, node, newid, size, "rootdir", "raw", alloc=0,
                                           volname=st.linked_clone_volname(s.type, volname, newid, index), parent=volid)
                        newvols.append(vol.volid)
                    t.sleep(0.2)
                    if s.type in ("lvmthin", "lvm"):
                        t.log(f'  Logical volume "{vol.volname}" created.')
                mp["volume"], mp["size"] = vol.volid, size
                with c.lock:
                    c.guests[newid].config[opt] = print_mp(sim, opt, mp)
            t.fault_point()
            t.sleep(0.1)  # post_clone_hook
        except WORKER_ERRORS as e:
            t.signal_message = "received interrupt"
            unlock_source()
            t.sleep(1)  # "some storages like rbd need to wait before release volume"
            with c.lock:
                free_volumes(t, c, node, newvols)
                c.guests.pop(newid, None)
            raise TaskFailed(f"clone failed: {_msg(e)}")
        t.signal_message = "received interrupt"
        unlock_source()
        with c.lock:
            g = c.guest(newid)
            g.config.pop("lock", None)
            if target:
                g.node = target

    return sim.tasks.start(node, "vzclone", vmid, body).upid


def _rsync_stats(size):
    files = 24503 + size // (1 << 24)
    total = int(size * 0.12)
    return [
        f"Number of files: {files:,} (reg: {int(files * 0.78):,}, dir: {int(files * 0.085):,}, link: {int(files * 0.13):,}, dev: 2, special: 31)",
        f"Number of created files: {files - 1:,}",
        "Number of deleted files: 0",
        f"Number of regular files transferred: {int(files * 0.78):,}",
        f"Total file size: {total:,} bytes",
        f"Total transferred file size: {total:,} bytes",
        f"Literal data: {total:,} bytes",
        "Matched data: 0 bytes",
        "File list size: 786,364",
        "File list generation time: 0.001 seconds",
        "File list transfer time: 0.000 seconds",
        f"Total bytes sent: {total + 1696377:,}",
        "Total bytes received: 383,316",
        "",
        f"sent {total + 1696377:,} bytes  received 383,316 bytes  68,106,207.00 bytes/sec",
        f"total size is {total:,}  speedup is 1.00",
    ]


# --- template ------------------------------------------------------------------


@api("POST", "/nodes/{node}/lxc/{vmid}/template")
def lxc_template(req):
    sim, c = req.sim, req.cluster
    node, vmid = req.params["node"], int(req.params["vmid"])
    fl = req.flock("lxc", vmid)
    fl.__enter__()
    try:
        with c.lock:
            g = load_config(c, "lxc", vmid, node)
            check_lock(g)
            if g.is_template:
                die("you can't convert a template to a template")
            if g.status == "running":
                die("you can't convert a CT to template if the CT is running")
            for _, volid in guest_volumes(sim, g):
                sid, volname = st.split_volid(volid)
                s = c.storage(sid)
                if s is None or not st.has_feature(s.type, "template", volname, "lxc"):
                    die(f"Template feature is not available for '{volid}'")

        def body(t):
            # the worker was forked inside lock_config: it holds the flock
            t.sleep(0.3)
            with c.lock:
                g2 = c.guest(vmid)
                for key, volid in guest_volumes(sim, g2):
                    vol = c.find_volume(volid, node)
                    s = c.storage(st.split_volid(volid)[0])
                    new_volname = st.base_volname(s.type, st.split_volid(volid)[1])
                    new_volid = f"{s.sid}:{new_volname}"
                    if vol is not None and new_volid != volid:
                        c.rename_volume(vol, new_volid)
                    if MP_KEY.fullmatch(key):
                        mp = parse_mp(sim, key, g2.config[key])
                        mp["volume"] = new_volid
                        g2.config[key] = print_mp(sim, key, mp)
                g2.config["template"] = 1
                g2.config = dict(sorted(g2.config.items()))

        t = sim.tasks.start(node, "vztemplate", vmid, body, hidden=True)
        c.transfer_flock(vmid, req.owner, t.upid)
    finally:
        fl.__exit__(None, None, None)
    return None


# --- destroy -------------------------------------------------------------------


@api("DELETE", "/nodes/{node}/lxc/{vmid}")
def lxc_destroy(req):
    sim, c = req.sim, req.cluster
    p = req.params
    node, vmid = p["node"], int(p["vmid"])
    force = p.get("force") == "1"
    purge = p.get("purge") == "1"

    def early_checks(g):
        check_protection(g, f"can't remove CT {vmid}")
        check_lock(g)

    with c.lock:
        g = load_config(c, "lxc", vmid, node)
        early_checks(g)
        if not force and g.status == "running":
            die(f"unable to destroy CT {vmid} - container is running")

    def body(t):
        with FlockHeld(c, "lxc", vmid, t.upid, 10, faults=sim.faults):
            with c.lock:
                g = load_config(c, "lxc", vmid, node)
                early_checks(g)
                running = g.status == "running"
            if running:
                if not force:
                    die(f"unable to destroy CT {vmid} - container is running")
                t.log(f"forced to stop CT {vmid} before destroying!")
                t.sleep(0.3)
                with c.lock:
                    g.status, g.started_at = "stopped", None
            with c.lock:
                g.config["lock"] = "destroyed"
                volids = [v for _, v in guest_volumes(sim, g)]
            t.sleep(0.3)
            t.fault_point()
            with c.lock:
                free_volumes(t, c, node, volids)
            if purge:
                t.log(f"purging CT {vmid} from related configurations..")
            with c.lock:
                c.guests.pop(vmid, None)

    return sim.tasks.start(node, "vzdestroy", vmid, body).upid


# --- config --------------------------------------------------------------------


@api("PUT", P_CONFIG)
def lxc_config_put(req):
    sim, c = req.sim, req.cluster
    p = dict(req.params)
    node, vmid = p.pop("node"), int(p.pop("vmid"))
    digest = p.pop("digest", None)
    if not p:
        die("no options specified")
    delete = jsonschema.split_list(p.pop("delete", ""))
    revert = jsonschema.split_list(p.pop("revert", ""))
    create_props = sim.schema.get("POST", P_CREATE).properties
    with req.flock("lxc", vmid):
        with c.lock:
            g = load_config(c, "lxc", vmid, node)
            check_lock(g)
            if digest and digest != config_digest(g.config):
                die("detected modified configuration - file changed by other user? Try again.")
            unprivileged = g.config.get("unprivileged")
            check_modify_perm(req, g.config, {}, delete + revert, unprivileged)
            for opt in revert:
                if opt not in create_props:
                    param_exc({"revert": f"unknown option '{opt}'"})
                if opt in p:
                    param_exc({"revert": f"you can't use '-{opt}' and '-revert {opt}' at the same time"})
            for opt in delete:
                if opt not in create_props and opt not in ("lock",):
                    param_exc({"delete": f"unknown option '{opt}'"})
                if opt in p:
                    param_exc({"delete": f"you can't use '-{opt}' and -delete {opt}' at the same time"})
                if opt in revert:
                    param_exc({"delete": f"you can't use '-delete {opt}' and '-revert {opt}' at the same time"})
            check_modify_perm(req, g.config, p, [], unprivileged)
            for opt in delete:
                if opt == "rootfs":
                    die("unable to delete required option 'rootfs'")
                g.config.pop(opt, None)
            for key in [k for k in p if MP_KEY.fullmatch(k)]:
                mp = parse_mp(sim, key, p.pop(key))
                nd = new_disk(mp.get("volume"))
                if nd:
                    s = storage_check_enabled(c, nd[0], node)
                    if "rootdir" not in s.content:
                        param_exc({key: f"storage '{s.sid}' does not support container directories"})
                    vol = c.alloc_disk(s, node, vmid, nd[1], "rootdir", "raw")
                    mp["volume"], mp["size"] = vol.volid, nd[1]
                g.config[key] = print_mp(sim, key, mp)
            apply_params(req, g.config, p)
            g.config = dict(sorted(g.config.items()))
    return None


# --- power ---------------------------------------------------------------------


def _running_here(c, vmid, node):
    g = c.guest(vmid)
    return g is not None and g.type == "lxc" and g.node == node and g.status == "running"


@api("POST", "/nodes/{node}/lxc/{vmid}/status/start")
def lxc_start(req):
    sim, c = req.sim, req.cluster
    root_only(req, "skiplock")
    node, vmid = req.params["node"], int(req.params["vmid"])
    skiplock = req.params.get("skiplock") == "1"
    with c.lock:
        if _running_here(c, vmid, node):
            die(f"CT {vmid} already running")

    def body(t):
        with FlockHeld(c, "lxc", vmid, t.upid, 10, faults=sim.faults):
            with c.lock:
                g = load_config(c, "lxc", vmid, node)
                if g.is_template:
                    die("you can't start a CT if it's a template")
                if not skiplock and g.lock != "mounted":
                    check_lock(g)
            t.sleep(0.5)
            t.fault_point()
            with c.lock:
                g.status, g.started_at = "running", time.time()

    return sim.tasks.start(node, "vzstart", vmid, body).upid


def _stop_task(req, ttype, seconds, check_skiplock):
    sim, c = req.sim, req.cluster
    node, vmid = req.params["node"], int(req.params["vmid"])
    skiplock = req.params.get("skiplock") == "1"
    with c.lock:
        if not _running_here(c, vmid, node):
            die(f"CT {vmid} not running")

    def body(t):
        with FlockHeld(c, "lxc", vmid, t.upid, 10, faults=sim.faults):
            with c.lock:
                g = load_config(c, "lxc", vmid, node)
                if not (check_skiplock and skiplock) and g.lock != "mounted":
                    check_lock(g)
            t.sleep(seconds)
            t.fault_point()
            with c.lock:
                g.status, g.started_at = "stopped", None

    return sim.tasks.start(node, ttype, vmid, body).upid


@api("POST", "/nodes/{node}/lxc/{vmid}/status/stop")
def lxc_stop(req):
    root_only(req, "skiplock")
    return _stop_task(req, "vzstop", 0.3, True)


@api("POST", "/nodes/{node}/lxc/{vmid}/status/shutdown")
def lxc_shutdown(req):
    return _stop_task(req, "vzshutdown", 0.8, False)
