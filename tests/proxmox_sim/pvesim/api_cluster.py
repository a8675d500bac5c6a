"""Cluster-wide and node endpoints: /cluster/resources, /cluster/nextid,
/version, storage status and content, task status/log/stop, vzdump,
/access/ticket. After pve-manager's PVE/API2/Cluster.pm, API2Tools.pm,
API2/Tasks.pm, API2/VZDump.pm and pve-storage's API2/Storage/*.pm.
"""

import re
import time

from . import api_lxc, api_qemu, jsonschema, storage as st
from .api_common import api, die, param_exc, storage_check_enabled, storage_path
from .errors import ApiError
from .tasks import TaskFailed, TaskInterrupted

NODE_MAXCPU = 16
NODE_MAXMEM = 64 << 30
NODE_MAXDISK = 100 << 30
PVE_VERSION = {"release": "9.1", "version": "9.1.2", "repoid": "7d6d1a2f0c8e9b45"}


@api("GET", "/version")
def version(req):
    return dict(PVE_VERSION, console="xtermjs")


@api("POST", "/access/ticket")
def access_ticket(req):
    # No users exist in the simulator; ticket login always fails like a
    # wrong password does (the HTTP layer adds the 3 s delay of 401s).
    raise ApiError(401, "authentication failure\n")


@api("GET", "/cluster/nextid")
def nextid(req):
    c = req.cluster
    with c.lock:
        vmid = req.params.get("vmid")
        if vmid is not None:
            if c.guest(vmid) is None:
                return str(vmid)
            param_exc({"vmid": f"VM {vmid} already exists"})
        free = c.next_free_vmid()
        if free is None:
            die("unable to get any free VMID in range [100, 1000000]")
        # sent as a string, as real servers are observed to (see README)
        return str(free)


# --- resources -----------------------------------------------------------------


def vm_resource(sim, g):
    """extract_vm_stats + lock/tags from the config. Guests on an offline
    node have no current RRD data: only id, vmid, node, type and status
    'unknown' (plus lock/tags)."""
    entry = {"id": f"{g.type}/{g.vmid}", "vmid": g.vmid, "node": g.node, "type": g.type, "status": "unknown"}
    if sim.cluster.is_online(g.node):
        vs = api_lxc.vmstatus(sim, g) if g.type == "lxc" else api_qemu.vmstatus(sim, g)
        entry.update({
            "uptime": vs["uptime"],
            "name": vs["name"],
            "status": vs["status"],
            "template": 1 if g.is_template else 0,
            "maxcpu": vs["cpus"],
            "cpu": vs["cpu"],
            "maxmem": vs["maxmem"],
            "mem": vs["mem"],
            "maxdisk": vs["maxdisk"],
            "disk": vs["disk"],
            "netin": vs["netin"],
            "netout": vs["netout"],
            "diskread": vs["diskread"],
            "diskwrite": vs["diskwrite"],
        })
    if g.lock:
        entry["lock"] = g.lock
    if g.config.get("tags"):
        entry["tags"] = g.config["tags"]
    return entry


def node_resource(sim, node):
    entry = {"id": f"node/{node}", "node": node, "type": "node", "status": "unknown", "level": ""}
    entry.update({"maxcpu": NODE_MAXCPU, "maxmem": NODE_MAXMEM, "maxdisk": NODE_MAXDISK})
    if sim.cluster.is_online(node):
        guests = sim.cluster.guests_on(node)
        running = [g for g in guests if g.status == "running"]
        entry.update({
            "status": "online",
            "uptime": int(time.time() - sim.started_at) + 864000,
            "cpu": round(0.02 + 0.01 * len(running), 4),
            "mem": (6 << 30) + sum(int(g.config.get("memory") or 512) << 19 for g in running),
            "disk": 9 << 30,
        })
    else:
        entry["status"] = "offline"
    entry["cgroup-mode"] = 2
    return entry


def storage_resource(sim, s, node):
    entry = {
        "id": f"storage/{node}/{s.sid}",
        "storage": s.sid,
        "node": node,
        "type": "storage",
        "plugintype": s.type,
        "status": "unknown",
        "shared": int(s.shared),
        "content": ",".join(s.content),
    }
    if sim.cluster.is_online(node):
        total, used, _ = sim.cluster.usage(s, node)
        entry.update({"maxdisk": total, "disk": used, "status": "available"})
    return entry


@api("GET", "/cluster/resources")
def cluster_resources(req):
    sim, c = req.sim, req.cluster
    typ = req.params.get("type")
    res = []
    with c.lock:
        if not typ or typ == "vm":
            for vmid in sorted(c.guests, key=str):  # Perl: sort keys (as strings)
                res.append(vm_resource(sim, c.guests[vmid]))
        if not typ or typ == "node":
            for node in c.node_names:
                res.append(node_resource(sim, node))
        if not typ or typ == "storage":
            for s in sorted(c.storages.values(), key=lambda s: s.sid):
                for node in c.node_names:
                    if s.enabled_on(node):
                        res.append(storage_resource(sim, s, node))
    return res


# --- storage -------------------------------------------------------------------


@api("GET", "/nodes/{node}/storage")
def storage_index(req):
    c, p = req.cluster, req.params
    content = jsonschema.split_list(p["content"]) if p.get("content") else None
    target = p.get("target")
    if target in (req.node, "localhost"):
        target = None
    res = []
    with c.lock:
        if p.get("storage") and (c.storage(p["storage"]) is None or not c.storage(p["storage"]).enabled_on(req.node)):
            param_exc({"storage": "No such storage."})
        for s in sorted(c.storages.values(), key=lambda s: s.sid):  # hash_to_array: sorted
            if not s.enabled_on(req.node):
                continue
            if p.get("storage") and p["storage"] != s.sid:
                continue
            if content and not any(ct in s.content for ct in content):
                continue
            if target and not (s.shared and s.enabled_on(target)):
                continue
            total, used, avail = c.usage(s, req.node)
            entry = {
                "storage": s.sid,
                "type": s.type,
                "content": ",".join(s.content),
                "shared": int(s.shared),
                "active": 1,
                "enabled": 1,
                "total": total,
                "used": used,
                "avail": avail,
                "used_fraction": used / total if total else 0,
            }
            if p.get("format") == "1":
                entry["format"] = [{"raw": 1, "qcow2": 1, "vmdk": 1, "subvol": 1} if s.type in st.FILE_TYPES else {"raw": 1}, "raw"]
            res.append(entry)
    return res


@api("GET", "/nodes/{node}/storage/{storage}/content")
def storage_content(req):
    c, p = req.cluster, req.params
    want = p.get("content")
    vmid = p.get("vmid")
    with c.lock:
        s = storage_check_enabled(c, p["storage"], req.node)
        res = []
        for vol in sorted(c.volumes_in(s, req.node), key=lambda v: v.volid):
            if want and vol.content != want:
                continue
            if vol.content not in s.content and not (vol.content == "rootdir" and "images" in s.content):
                continue
            if vmid is not None and str(vol.vmid) != str(vmid):
                continue
            entry = {"volid": vol.volid, "content": vol.content, "format": vol.format, "size": vol.size, "ctime": vol.ctime}
            if vol.content in ("images", "rootdir", "backup") and vol.vmid is not None:
                entry["vmid"] = int(vol.vmid)
            if vol.content == "backup":
                entry["subtype"] = vol.subtype or "unknown"
                if vol.notes is not None:
                    entry["notes"] = vol.notes
            if vol.content in ("images", "rootdir"):
                entry["used"] = vol.alloc
                if vol.parent:
                    entry["parent"] = vol.parent.split(":", 1)[1]
            res.append(entry)
        return res


# --- tasks ---------------------------------------------------------------------


def _task_on_node(req, check_exists=True):
    """upid_decode + the task log file test: tasks live in the log directory
    of the node that ran them, so asking another node answers 'no such task'."""
    upid = req.params["upid"]
    t = req.sim.tasks.get(upid)
    if t is None:
        if not re.fullmatch(r"UPID:[a-zA-Z0-9](?:[a-zA-Z0-9\-]*[a-zA-Z0-9])?:[0-9A-Fa-f]{8}:[0-9A-Fa-f]{8,9}:[0-9A-Fa-f]{8}:[^:\s/]+:[^:\s/]*:[^:\s/]+:", upid):
            param_exc({"upid": "unable to parse worker upid"})
    if t is None or t.node != req.node:
        if check_exists:
            param_exc({"upid": "no such task"})
        return None
    return t


@api("GET", "/nodes/{node}/tasks/{upid}/status")
def task_status(req):
    t = _task_on_node(req)
    with req.cluster.lock:
        if t.no_such_task_polls > 0:  # fault new_task_400
            t.no_such_task_polls -= 1
            param_exc({"upid": "no such task"})
        return t.status_json()


@api("GET", "/nodes/{node}/tasks/{upid}/log")
def task_log(req):
    """PVE::Tools::dump_logfile: start = lines to skip, n counts from 1,
    limit 0 = all; an empty log reads as one 'no content' line."""
    t = _task_on_node(req, check_exists=False)
    p = req.params
    if p.get("download") == "1" and (p.get("start") is not None or p.get("limit") is not None):
        die("'download' cannot be used together with 'start' or 'limit' parameters")
    start = int(p.get("start") or 0)
    limit = int(p["limit"]) if p.get("limit") is not None else 50
    if t is None:
        req.total = 1
        return [{"n": 1, "t": "unable to open file - No such file or directory"}]
    with req.cluster.lock:
        lines = list(t.lines)
    out = []
    for i, text in enumerate(lines, start=1):
        if i <= start:
            continue
        if limit and len(out) >= limit:
            continue
        out.append({"n": i, "t": text})
    count = len(lines)
    if count == 0:
        count = 1
        out = [{"n": 1, "t": "no content"}]
    req.total = count
    return out


@api("DELETE", "/nodes/{node}/tasks/{upid}")
def task_stop(req):
    t = _task_on_node(req)
    req.sim.tasks.stop(t)
    return None


# --- vzdump --------------------------------------------------------------------

COMPRESS_EXT = {"0": "", "1": ".lzo", "lzo": ".lzo", "gzip": ".gz", "zstd": ".zst"}


@api("POST", "/nodes/{node}/vzdump")
def vzdump(req):
    sim, c, p = req.sim, req.cluster, req.params
    node = req.node
    if p.get("stdout") == "1":
        param_exc({"stdout": "option is only allowed on the command line interface."})
    if p.get("all") == "1" and p.get("vmid"):
        param_exc({"all": "option conflicts with option 'vmid'"})
    if p.get("exclude") and p.get("vmid"):
        param_exc({"exclude": "option conflicts with option 'vmid'"})
    if p.get("pool") and p.get("vmid"):
        param_exc({"pool": "option conflicts with option 'vmid'"})
    if p.get("all") != "1" and not p.get("vmid") and not p.get("pool"):
        param_exc({"vmid": "property is missing"})
    if p.get("pool"):
        die(f"pool '{p['pool']}' does not exist")
    with c.lock:
        if p.get("all") == "1":
            excluded = {int(v) for v in jsonschema.split_list(p.get("exclude", ""))}
            local = [g.vmid for g in c.guests_on(node) if g.vmid not in excluded]
        else:
            local = []
            for v in jsonschema.split_list(p["vmid"]):
                g = c.guest(v)
                if g is None or g.node == node:  # deleted guests fail visibly later
                    local.append(int(v))
    if p.get("stop") == "1" and not local:
        return "OK"
    if not local and p.get("all") != "1":
        return "OK"  # silent exit if the guests run on other nodes
    sid = p.get("storage", "local")
    mode = p.get("mode", "snapshot")
    compress = p.get("compress", "0")
    cmdline = "vzdump " + " ".join(str(v) for v in local) if p.get("vmid") else "vzdump --all 1"
    for key in ("storage", "mode", "compress", "notes-template", "remove"):
        if key in p:
            cmdline += f" --{key} {p[key]}"
    cmdline += f" --node {node}"
    notes_template = p.get("notes-template", "{{guestname}}")

    def body(t):
        t.signal_message = "interrupted by signal"
        with c.lock:
            s = c.storage(sid)
            if s is None:
                die(f"storage '{sid}' does not exist")
            if "backup" not in s.content:
                die(f"can't use storage '{sid}' for backups - wrong content type")
        t.log(f"INFO: starting new backup job: {cmdline}")
        errors = False
        for vmid in local:
            try:
                _backup_one(t, sim, node, s, vmid, mode, compress, notes_template)
            except TaskInterrupted as e:
                t.log(f"ERROR: Backup of VM {vmid} failed - {e.message}")
                raise
            except (TaskFailed, ApiError) as e:
                errors = True
                t.log(f"ERROR: Backup of VM {vmid} failed - {str(e.message).rstrip()}")
        if errors:
            t.log("INFO: Backup job finished with errors")
            raise TaskFailed("job errors")
        t.log("INFO: Backup job finished successfully")

    return sim.tasks.start(node, "vzdump", local[0] if len(local) == 1 else "", body).upid


def _backup_one(t, sim, node, s, vmid, mode, compress, notes_template):
    c = sim.cluster
    with c.lock:
        g = c.guest(vmid)
        if g is None or g.node != node:
            raise TaskFailed(f"unable to find VM '{vmid}'")
        kind = "lxc" if g.type == "lxc" else "qemu"
    started = time.time()
    t.log(f"INFO: Starting Backup of VM {vmid} ({kind})")
    t.log(f"INFO: Backup started at {time.strftime('%Y-%m-%d %H:%M:%S')}")
    with c.lock:
        if g.lock:
            raise TaskFailed(f"{g.kind} is locked ({g.lock})")
        g.config["lock"] = "backup"
        running = g.status == "running"
        name = g.config.get("hostname" if kind == "lxc" else "name") or f"{g.kind}{vmid}"
        if kind == "lxc":
            size = (jsonschema.parse_size(api_lxc.parse_mp(sim, "rootfs", g.config.get("rootfs", "x:0,size=4G")).get("size", "4G")) or 4 << 30)
        else:
            disk = api_qemu.boot_disk(sim, g.config)
            size = jsonschema.parse_size(disk.get("size", "0")) if disk else 0
    try:
        t.log(f"INFO: status = {'running' if running else 'stopped'}")
        real_mode = mode if running else "stop"
        if kind == "lxc":
            t.log(f"INFO: CT Name: {name}")
            t.log("INFO: including mount point rootfs ('/') in backup")
            t.log(f"INFO: backup mode: {real_mode}")
            t.log("INFO: ionice priority: 7")
            if real_mode == "snapshot":
                t.log("INFO: create storage snapshot 'vzdump'")
        else:
            t.log(f"INFO: backup mode: {real_mode}")
            t.log("INFO: ionice priority: 7")
            t.log(f"INFO: VM Name: {name}")
        stamp = time.strftime("%Y_%m_%d-%H_%M_%S", time.localtime())
        ext = ("tar" if kind == "lxc" else "vma") + COMPRESS_EXT.get(compress, ".zst")
        volname = f"backup/vzdump-{kind}-{vmid}-{stamp}.{ext}"
        with c.lock:
            while c.find_volume(f"{s.sid}:{volname}", node) is not None:
                stamp = stamp[:-2] + "%02d" % ((int(stamp[-2:]) + 1) % 60)
                volname = f"backup/vzdump-{kind}-{vmid}-{stamp}.{ext}"
        t.log(f"INFO: creating vzdump archive '{storage_path(s, volname)}'")
        if kind == "qemu":
            lines = [f"INFO: {pct:3d}% ({st.render_bytes(size * pct // 100, 1)} of {st.render_bytes(size, 1)}) in {pct // 10}s, read: 1.1 GiB/s, write: 98.0 MiB/s" for pct in (10, 30, 60, 100)]
            t.progress(0.8, lines)
        else:
            t.sleep(0.8)
        t.fault_point()
        archive = max(size // 20, 1 << 20) + vmid
        with c.lock:
            c.alloc_disk(s, node, vmid, archive, "backup", ext, volname=volname)
            vol = c.find_volume(f"{s.sid}:{volname}", node)
            vol.subtype = kind
            vol.notes = notes_template.replace("{{guestname}}", str(name)).replace("{{vmid}}", str(vmid)).replace("{{node}}", node)
        if kind == "lxc":
            t.log(f"INFO: Total bytes written: {archive * 3} ({st.render_bytes(archive * 3, 1).replace(' ', '')}, 95MiB/s)")
        t.log(f"INFO: archive file size: {st.render_bytes(archive, 2)}")
        t.log("INFO: adding notes to backup")
        if kind == "lxc" and real_mode == "snapshot":
            t.log("INFO: cleanup temporary 'vzdump' snapshot")
        elapsed = int(time.time() - started)
        t.log(f"INFO: Finished Backup of VM {vmid} ({elapsed // 3600:02d}:{elapsed // 60 % 60:02d}:{elapsed % 60:02d})")
        t.log(f"INFO: Backup finished at {time.strftime('%Y-%m-%d %H:%M:%S')}")
    except Exception:  # not TaskKilled: a killed vzdump leaves its lock behind
        _unlock_backup(c, g)
        raise
    _unlock_backup(c, g)


def _unlock_backup(c, g):
    with c.lock:
        if g.config.get("lock") == "backup":
            g.config.pop("lock", None)
