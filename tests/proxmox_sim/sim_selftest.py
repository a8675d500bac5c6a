#!/usr/bin/env python3
"""Self-test of the Proxmox VE API simulator (pve_sim.py).

Starts the simulator as a subprocess in a temporary directory, talks to it
over HTTPS (urllib, an ssl context pinned to the cluster CA it made) and to
its control API, and checks the behaviours the project's tests rely on.
The simulator is killed by PID in tearDownClass, also when a test fails;
nothing is written outside the temporary directory.

  python3 tests/proxmox_sim/sim_selftest.py [-v]
"""

import contextlib
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

sys.dont_write_bytecode = True

HERE = os.path.dirname(os.path.abspath(__file__))
SIM = os.path.join(HERE, "pve_sim.py")
TOKEN_ID = "root@pam!zenith"
SECRET = "8d3c4f7e-1b2a-4c5d-9e8f-0a1b2c3d4e5f"
SPEED = 0.25  # simulated durations x0.25
AUTH_DELAY = 0.3


class Reply:
    def __init__(self, status, reason, body, headers):
        self.status, self.reason, self.raw, self.headers = status, reason, body, headers
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    @property
    def data(self):
        return self.json.get("data") if isinstance(self.json, dict) else None

    @property
    def errors(self):
        return (self.json or {}).get("errors") or {}

    def __repr__(self):
        return f"<{self.status} {self.reason!r} {self.raw[:300]!r}>"


class Sim:
    """The one simulator process the tests share (started in setUpModule)."""

    proc = None
    tmp = None
    log = None
    info = None
    opener = None

    @classmethod
    def log_text(cls):
        try:
            with open(os.path.join(cls.tmp, "sim.log")) as f:
                return f.read()[-3000:]
        except (OSError, TypeError):
            return ""


def setUpModule():
    unittest.addModuleCleanup(stop_simulator)
    Sim.tmp = tempfile.mkdtemp(prefix="pve-sim-selftest-")
    secret_file = os.path.join(Sim.tmp, "token-secret")
    with open(secret_file, "w") as f:
        f.write(SECRET + "\n")
    info_file = os.path.join(Sim.tmp, "info.json")
    Sim.log = open(os.path.join(Sim.tmp, "sim.log"), "w")
    Sim.proc = subprocess.Popen(
        [sys.executable, "-B", SIM, "--state-dir", os.path.join(Sim.tmp, "state"), "--info-file", info_file,
         "--nodes", "pve1,pve2,pve3", "--token-id", TOKEN_ID, "--token-secret-file", secret_file,
         "--speed", str(SPEED), "--auth-fail-delay", str(AUTH_DELAY)],
        stdin=subprocess.DEVNULL, stdout=Sim.log, stderr=subprocess.STDOUT, cwd=Sim.tmp,
    )
    deadline = time.time() + 30
    while not os.path.exists(info_file):
        if Sim.proc.poll() is not None or time.time() > deadline:
            raise RuntimeError(f"the simulator did not start: {Sim.log_text()}")
        time.sleep(0.05)
    with open(info_file) as f:
        Sim.info = json.load(f)
    ctx = ssl.create_default_context(cafile=Sim.info["ca_file"])
    Sim.opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=ctx))


def stop_simulator():
    """SIGTERM by PID (SIGKILL if it hangs), then the temp dir goes."""
    rc = None
    try:
        if Sim.proc is not None and Sim.proc.poll() is None:
            os.kill(Sim.proc.pid, signal.SIGTERM)
            try:
                rc = Sim.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(Sim.proc.pid, signal.SIGKILL)
                Sim.proc.wait(5)
        if Sim.log:
            Sim.log.close()
        if rc not in (None, 0):
            raise AssertionError(f"the simulator exited with {rc} on SIGTERM: {Sim.log_text()}")
    finally:
        if Sim.tmp:
            shutil.rmtree(Sim.tmp, ignore_errors=True)


class SimTestCase(unittest.TestCase):
    @property
    def info(self):
        return Sim.info

    @property
    def opener(self):
        return Sim.opener

    def _sim_log(self):
        return Sim.log_text()

    def setUp(self):
        self.control("POST", "/reset")
        self.control("POST", "/config", {"speed": SPEED})

    # --- helpers ---------------------------------------------------------------

    def control(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.info["control_url"] + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    @contextlib.contextmanager
    def speed(self, factor):
        self.control("POST", "/config", {"speed": factor})
        try:
            yield
        finally:
            self.control("POST", "/config", {"speed": SPEED})

    def api(self, method, path, params=None, via="pve1", token=f"{TOKEN_ID}={SECRET}", body=None):
        url = self.info["nodes"][via]["url"] + "/api2/json" + path
        data = None
        headers = {}
        if token is not None:
            headers["Authorization"] = f"PVEAPIToken={token}"
        if method in ("POST", "PUT"):
            data = urllib.parse.urlencode(params or {}).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif params:
            url += "?" + urllib.parse.urlencode(params)
        if body is not None:
            data = body
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with self.opener.open(req, timeout=30) as r:
                return Reply(r.status, r.reason, r.read().decode(), dict(r.headers))
        except urllib.error.HTTPError as e:
            return Reply(e.code, e.reason, e.read().decode(), dict(e.headers))

    def ok(self, method, path, params=None, via="pve1"):
        r = self.api(method, path, params, via)
        self.assertEqual(r.status, 200, r)
        return r.data

    def task_path(self, upid):
        node = upid.split(":")[1]
        return node, f"/nodes/{node}/tasks/{urllib.parse.quote(upid, safe='')}"

    def wait_task(self, upid, timeout=20):
        node, path = self.task_path(upid)
        deadline = time.time() + timeout
        while time.time() < deadline:
            st = self.ok("GET", path + "/status", via=node)
            if st["status"] == "stopped":
                return st
            time.sleep(0.03)
        self.fail(f"task {upid} still running after {timeout} s")

    def task_log(self, upid):
        node, path = self.task_path(upid)
        return [e["t"] for e in self.ok("GET", path + "/log", {"start": 0, "limit": 0}, via=node)]

    def config(self, node, gtype, vmid):
        return self.ok("GET", f"/nodes/{node}/{gtype}/{vmid}/config", via=node)

    def storage(self, node, sid):
        for s in self.ok("GET", f"/nodes/{node}/storage", via=node):
            if s["storage"] == sid:
                return s
        self.fail(f"no storage {sid} on {node}")

    def create_ct(self, vmid, node="pve1", **extra):
        params = {"vmid": vmid, "ostemplate": "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
                  "hostname": f"ct{vmid}", "rootfs": "local-lvm:8", "memory": 1024,
                  "net0": "name=eth0,bridge=vmbr0,ip=10.1.10.91/24,gw=10.1.10.1"}
        params.update(extra)
        upid = self.ok("POST", f"/nodes/{node}/lxc", params, via=node)
        self.assertEqual(self.wait_task(upid)["exitstatus"], "OK", self.task_log(upid))
        return upid


class AuthAndSchema(SimTestCase):
    def test_token_refused_after_delay_and_secret_never_shown(self):
        t0 = time.time()
        r = self.api("GET", "/version", token=f"{TOKEN_ID}=wrong-secret")
        self.assertEqual((r.status, r.reason), (401, "Authentication failed!"))
        self.assertGreaterEqual(time.time() - t0, AUTH_DELAY * 0.9)
        r = self.api("GET", "/version", token=None)
        self.assertEqual((r.status, r.reason), (401, "No ticket"))
        self.assertEqual(self.ok("GET", "/version")["release"], "9.1")
        reqs = self.control("GET", "/requests")
        self.assertEqual([x["status"] for x in reqs], [401, 401, 200])
        self.assertEqual(reqs[0]["auth"], f"PVEAPIToken={TOKEN_ID}=***")
        for text in (json.dumps(reqs), json.dumps(self.control("GET", "/state")), json.dumps(self.info), self._sim_log()):
            self.assertNotIn(SECRET, text)

    def test_a_revoked_token_is_refused_until_restored(self):
        self.control("POST", "/fault", {"token_revoked": True})
        try:
            t0 = time.time()
            r = self.api("GET", "/version")
            self.assertEqual((r.status, r.reason), (401, "Authentication failed!"))
            self.assertGreaterEqual(time.time() - t0, AUTH_DELAY * 0.9)
        finally:
            self.control("POST", "/fault", {"token_revoked": False})
        self.assertEqual(self.ok("GET", "/version")["release"], "9.1")

    def test_schema_errors_per_field(self):
        r = self.api("POST", "/nodes/pve1/lxc", {
            "vmid": 200, "ostemplate": "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
            "bogus": "1", "net0": "name=eth0,bridge=vmbr0,bogus=1", "net1": "name=eth1,ip=10.0.0.5",
            "cores": "two", "unprivileged": "yes",
        })
        self.assertEqual((r.status, r.reason), (400, "Parameter verification failed."), r)
        self.assertIsNone(r.data)
        e = r.errors
        self.assertEqual(e["bogus"], "property is not defined in schema and the schema does not allow additional properties")
        self.assertEqual(e["net0"], "invalid format - invalid key in comma-separated list property: bogus\n")
        self.assertIn("net1.ip: invalid format - value does not look like a valid ipv4 network configuration", e["net1"])
        self.assertEqual(e["cores"], "type check ('integer') failed - got 'two'")
        self.assertEqual(e["unprivileged"], "type check ('boolean') failed - got 'yes'")
        # path parameters are checked too (the format comes before the minimum)
        r = self.api("POST", "/nodes/pve1/qemu/99/clone", {"newid": "abc"})
        self.assertEqual(r.status, 400)
        self.assertEqual(r.errors, {"newid": "type check ('integer') failed - got 'abc'",
                                    "vmid": "invalid format - value does not look like a valid VM ID\n"})
        r = self.api("POST", "/nodes/pve1/qemu", {"vmid": 300, "net0": "virtio,bridge=vmbr0,bogus=1"})
        self.assertEqual(r.errors, {"net0": "invalid format - invalid key in comma-separated list property: bogus\n"})

    def test_http_level_errors(self):
        r = self.api("GET", "/nodes/pve1/nonsense")
        self.assertEqual((r.status, r.reason), (501, "Method 'GET /nodes/pve1/nonsense' not implemented"))
        r = self.api("DELETE", "/nodes/pve1/lxc/9000", body=b"force=1")
        self.assertEqual((r.status, r.reason), (501, "Unexpected content for method 'DELETE'"))
        r = self.api("GET", "/nodes/pve9/lxc")
        self.assertEqual(r.status, 500)
        self.assertTrue(r.reason.startswith("hostname lookup 'pve9' failed"), r)

    def test_transient_faults(self):
        self.control("POST", "/fault", {"http_500_transient": {"count": 1}})
        r = self.api("GET", "/cluster/nextid")
        self.assertEqual(r.status, 500)
        self.assertIn("got timeout", r.reason)
        self.assertIn("got timeout", r.json["message"])
        self.assertEqual(self.ok("GET", "/cluster/nextid"), "100")
        self.control("POST", "/fault", {"new_task_400": True})
        upid = self.ok("POST", "/nodes/pve1/lxc/9000/clone", {"newid": 150})
        node, path = self.task_path(upid)
        r = self.api("GET", path + "/status")
        self.assertEqual((r.status, r.errors), (400, {"upid": "no such task"}))
        self.assertEqual(self.wait_task(upid)["exitstatus"], "OK")


class Guests(SimTestCase):
    def test_nextid_is_a_string_and_racing_creators(self):
        a = self.ok("GET", "/cluster/nextid")
        b = self.ok("GET", "/cluster/nextid", via="pve2")
        self.assertEqual((a, b), ("100", "100"))  # does not reserve
        self.ok("POST", "/nodes/pve1/lxc/9000/clone", {"newid": a, "hostname": "first"})
        r = self.api("POST", "/nodes/pve2/lxc", {"vmid": b, "ostemplate": "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"}, via="pve2")
        self.assertEqual((r.status, r.reason), (500, "CT 100 already exists on node 'pve1'"))
        self.assertEqual(self.ok("GET", "/cluster/nextid"), "101")
        r = self.api("GET", "/cluster/nextid", {"vmid": 100})
        self.assertEqual((r.status, r.errors), (400, {"vmid": "VM 100 already exists"}))
        self.assertEqual(self.ok("GET", "/cluster/nextid", {"vmid": 4242}), "4242")

    def test_lxc_full_clone_progress_locks_and_config(self):
        with self.speed(1.0):
            upid = self.ok("POST", "/nodes/pve1/lxc/9000/clone", {"newid": 9101, "hostname": "web1", "full": 1})
            self.assertRegex(upid, r"^UPID:pve1:[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:vzclone:9000:root@pam!zenith:$")
            self.assertEqual(self.ok("GET", "/nodes/pve1/lxc/9000/status/current")["lock"], "disk")
            self.assertEqual(self.ok("GET", "/nodes/pve1/lxc/9101/status/current")["lock"], "create")
            # a second clone of the same source is refused before any task
            r = self.api("POST", "/nodes/pve1/lxc/9000/clone", {"newid": 9102})
            self.assertEqual((r.status, r.reason), (500, "CT is locked (disk)"))
            # config writes on the CT being made
            r = self.api("PUT", "/nodes/pve1/lxc/9101/config", {"cores": 4})
            self.assertEqual((r.status, r.reason), (500, "CT is locked (create)"))
            node, path = self.task_path(upid)
            totals, start = set(), 0
            while True:
                st = self.ok("GET", path + "/status")
                log = self.api("GET", path + "/log", {"start": start, "limit": 500})
                totals.add(log.json["total"])
                if st["status"] == "stopped":
                    break
                time.sleep(0.05)
        self.assertGreaterEqual(len(totals), 3, "the log should grow while the task runs")
        self.assertEqual(st["exitstatus"], "OK")
        self.assertEqual((st["user"], st["tokenid"], st["type"], st["id"]), ("root@pam", "zenith", "vzclone", "9000"))
        lines = self.task_log(upid)
        self.assertEqual(lines[0], "creating a clone of container 9000 with ID 9101")
        self.assertIn("create full clone of mountpoint rootfs (local-lvm:base-9000-disk-0)", lines)
        self.assertTrue(any(line.startswith("Number of files:") for line in lines))
        self.assertEqual(lines[-1], "TASK OK")
        conf = self.config("pve1", "lxc", 9101)
        self.assertEqual(conf["hostname"], "web1")
        self.assertEqual(conf["rootfs"], "local-lvm:vm-9101-disk-0,size=8G")
        self.assertNotIn("lock", conf)
        self.assertNotIn("template", conf)
        self.assertRegex(conf["net0"], r"^name=eth0,bridge=vmbr0,hwaddr=BC:24:11:[0-9A-F:]{8},ip=dhcp,type=veth$")
        self.assertNotIn("BC:24:11:3A:5C:01", conf["net0"])  # a new MAC
        self.assertNotIn("lock", self.config("pve1", "lxc", 9000))
        # now the second clone works (linked by default from a template)
        upid = self.ok("POST", "/nodes/pve1/lxc/9000/clone", {"newid": 9102})
        self.assertEqual(self.wait_task(upid)["exitstatus"], "OK")
        self.assertIn("create linked clone of mount point rootfs (local-lvm:base-9000-disk-0)", self.task_log(upid))

    def test_qemu_template_clones_run_in_parallel(self):
        with self.speed(1.0):
            u1 = self.ok("POST", "/nodes/pve1/qemu/9100/clone", {"newid": 201, "name": "vm-a", "full": 1})
            u2 = self.ok("POST", "/nodes/pve1/qemu/9100/clone", {"newid": 202, "name": "vm-b", "full": 1})
            self.assertEqual(self.ok("GET", self.task_path(u1)[1] + "/status")["status"], "running")  # overlap
            s1, s2 = self.wait_task(u1), self.wait_task(u2)
        self.assertEqual((s1["exitstatus"], s2["exitstatus"]), ("OK", "OK"))
        lines = self.task_log(u1)
        self.assertIn("create full clone of drive scsi0 (local-lvm:base-9100-disk-0)", lines)
        self.assertIn("transferred 32.0 GiB of 32.0 GiB (100.00%)", lines)
        conf = self.config("pve1", "qemu", 202)
        self.assertEqual(conf["name"], "vm-b")
        self.assertRegex(conf["net0"], r"^virtio=BC:24:11:[0-9A-F:]{8},bridge=vmbr0,firewall=1$")

    def test_linked_clone_refusals(self):
        r = self.api("POST", "/nodes/pve1/lxc/9001/clone", {"newid": 300, "full": 0})
        self.assertEqual((r.status, r.reason), (500, "Linked clone feature for 'vmdata:9001/base-9001-disk-0.raw' is not available"))
        r = self.api("POST", "/nodes/pve1/lxc/9000/clone", {"newid": 300, "full": 0, "storage": "vmdata"})
        self.assertEqual((r.status, r.reason), (500, "parameter 'storage' not allowed for linked clones"))
        state = self.control("GET", "/state")
        self.assertNotIn("300", state["guests"])  # cleaned up
        self.assertIsNone(state["guests"]["9001"]["lock"])

    def test_task_warnings_and_failures(self):
        self.control("POST", "/fault", {"task_warnings": {"type": "vzclone", "count": 2}})
        upid = self.ok("POST", "/nodes/pve1/lxc/9000/clone", {"newid": 310})
        self.assertEqual(self.wait_task(upid)["exitstatus"], "WARNINGS: 2")
        lines = self.task_log(upid)
        self.assertEqual(sum(1 for x in lines if x.startswith("WARN: ")), 2)
        self.assertEqual(lines[-1], "TASK WARNINGS: 2")
        self.control("POST", "/fault", {"task_fail": {"type": "vzclone", "message": "rsync failed: No space left on device (28)"}})
        upid = self.ok("POST", "/nodes/pve1/lxc/9000/clone", {"newid": 311, "full": 1})
        self.assertEqual(self.wait_task(upid)["exitstatus"], "clone failed: rsync failed: No space left on device (28)")
        self.assertNotIn("311", self.control("GET", "/state")["guests"])

    def test_wrong_node(self):
        r = self.api("GET", "/nodes/pve2/lxc/9000/config", via="pve2")
        self.assertEqual((r.status, r.reason), (500, "Configuration file 'nodes/pve2/lxc/9000.conf' does not exist"))
        self.assertEqual(r.json["message"], "Configuration file 'nodes/pve2/lxc/9000.conf' does not exist\n")
        r = self.api("GET", "/nodes/pve3/qemu/9100/status/current")  # through pve1, proxied
        self.assertEqual((r.status, r.reason), (500, "Configuration file 'nodes/pve3/qemu-server/9100.conf' does not exist"))
        # tasks must be asked of the node in the UPID (the log file is local)
        upid = self.ok("POST", "/nodes/pve1/lxc/9000/clone", {"newid": 320})
        r = self.api("GET", f"/nodes/pve2/tasks/{urllib.parse.quote(upid, safe='')}/status", via="pve2")
        self.assertEqual((r.status, r.errors), (400, {"upid": "no such task"}))
        self.wait_task(upid)

    def test_offline_node(self):
        port = self.info["nodes"]["pve2"]["port"]
        self.control("POST", "/fault", {"node_offline": "pve2"})
        r = self.api("GET", "/nodes/pve2/storage", via="pve1")
        self.assertEqual((r.status, r.reason), (595, "No route to host"))
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        nodes = {n["node"]: n["status"] for n in self.ok("GET", "/cluster/resources", {"type": "node"})}
        self.assertEqual(nodes, {"pve1": "online", "pve2": "offline", "pve3": "online"})
        self.control("POST", "/fault", {"node_online": "pve2"})
        self.assertTrue(self.ok("GET", "/nodes/pve2/storage", via="pve2"))

    def test_task_stop(self):
        with self.speed(1.0):
            upid = self.ok("POST", "/nodes/pve1/lxc/9000/clone", {"newid": 330, "full": 1})
            time.sleep(0.3)
            node, path = self.task_path(upid)
            r = self.api("DELETE", path)
            self.assertEqual((r.status, r.data), (200, None))
            st = self.ok("GET", path + "/status")
        self.assertEqual(st["status"], "stopped")
        self.assertEqual(st["exitstatus"], "clone failed: interrupted by signal")
        state = self.control("GET", "/state")
        self.assertNotIn("330", state["guests"])
        self.assertIsNone(state["guests"]["9000"]["lock"])
        # SIGKILL (fault): no cleanup, locks stay, no final line
        self.control("POST", "/fault", {"hard_kill": True})
        with self.speed(1.0):
            upid = self.ok("POST", "/nodes/pve1/lxc/9000/clone", {"newid": 331, "full": 1})
            time.sleep(0.3)
            self.api("DELETE", self.task_path(upid)[1])
        self.assertEqual(self.wait_task(upid)["exitstatus"], "unexpected status")
        state = self.control("GET", "/state")
        self.assertEqual(state["guests"]["331"]["lock"], "create")
        self.assertEqual(state["guests"]["9000"]["lock"], "disk")

    def test_lock_timeout(self):
        self.control("POST", "/config", {"speed": 0.05})
        self.control("POST", "/fault", {"lock_timeout": {"vmid": 9000, "count": 1}})
        t0 = time.time()
        r = self.api("PUT", "/nodes/pve1/lxc/9000/config", {"description": "x"})
        self.assertEqual((r.status, r.reason), (500, "can't lock file '/run/lock/lxc/pve-config-9000.lock' - got timeout"))
        self.assertGreaterEqual(time.time() - t0, 10 * 0.05 * 0.9)
        self.assertIsNone(self.ok("PUT", "/nodes/pve1/lxc/9000/config", {"description": "x"}))
        # vzcreate holds the config flock for its whole run: a writer waits
        # for it (up to 10 s), then finds the create lock gone
        self.control("POST", "/config", {"speed": 0.5})
        upid = self.ok("POST", "/nodes/pve1/lxc", {"vmid": 340, "ostemplate": "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
                                                    "rootfs": "local-lvm:4"})
        self.assertIsNone(self.ok("PUT", "/nodes/pve1/lxc/340/config", {"cores": 3}))
        node, path = self.task_path(upid)
        self.assertEqual(self.ok("GET", path + "/status")["status"], "stopped")  # the PUT waited for it
        self.assertEqual(self.config("pve1", "lxc", 340)["cores"], 3)

    def test_container_lifecycle(self):
        self.create_ct(400, start=1)
        st = self.ok("GET", "/nodes/pve1/lxc/400/status/current")
        self.assertEqual((st["status"], st["name"], st["maxmem"]), ("running", "ct400", 1024 << 20))
        r = self.api("POST", "/nodes/pve1/lxc/400/status/start")
        self.assertEqual((r.status, r.reason), (500, "CT 400 already running"))
        r = self.api("DELETE", "/nodes/pve1/lxc/400")
        self.assertEqual((r.status, r.reason), (500, "unable to destroy CT 400 - container is running"))
        self.assertEqual(self.wait_task(self.ok("POST", "/nodes/pve1/lxc/400/status/shutdown"))["exitstatus"], "OK")
        conf = self.config("pve1", "lxc", 400)
        self.assertRegex(conf["net0"], r"^name=eth0,bridge=vmbr0,gw=10\.1\.10\.1,hwaddr=BC:24:11:[0-9A-F:]{8},ip=10\.1\.10\.91/24,type=veth$")
        self.assertIsNone(self.ok("POST", "/nodes/pve1/lxc/400/template"))
        deadline = time.time() + 10
        while self.config("pve1", "lxc", 400).get("template") != 1:
            self.assertLess(time.time(), deadline)
            time.sleep(0.05)
        self.assertEqual(self.config("pve1", "lxc", 400)["rootfs"], "local-lvm:base-400-disk-0,size=8G")
        self.assertEqual(self.wait_task(self.ok("DELETE", "/nodes/pve1/lxc/400"))["exitstatus"], "OK")
        self.assertNotIn("400", self.control("GET", "/state")["guests"])

    def test_features_need_root(self):
        r = self.api("POST", "/nodes/pve1/lxc", {"vmid": 410, "ostemplate": "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
                                                  "features": "nesting=1,keyctl=1"})
        self.assertEqual((r.status, r.reason), (403, "Permission check failed (changing feature flags (except nesting) is only allowed for root@pam)"))
        self.create_ct(410, features="nesting=1")

    def test_storage_avail_shrinks_and_grows_back(self):
        before = self.storage("pve2", "local-lvm")["avail"]
        self.create_ct(420, node="pve2", rootfs="local-lvm:20")
        self.assertEqual(before - self.storage("pve2", "local-lvm")["avail"], 20 << 30)
        self.assertEqual(self.storage("pve1", "local-lvm")["avail"], self.storage("pve3", "local-lvm")["avail"] - (40 << 30) - (4 << 20))
        self.wait_task(self.ok("DELETE", "/nodes/pve2/lxc/420", via="pve2"))
        self.assertEqual(self.storage("pve2", "local-lvm")["avail"], before)
        res = [x for x in self.ok("GET", "/cluster/resources", {"type": "storage"}) if x["id"] == "storage/pve2/local-lvm"]
        self.assertEqual(res[0]["maxdisk"] - res[0]["disk"], before)

    def test_vzdump_makes_a_backup_volume(self):
        self.create_ct(430)
        upid = self.ok("POST", "/nodes/pve1/vzdump", {"vmid": 430, "storage": "nfs-backup", "mode": "snapshot", "compress": "zstd"})
        self.assertRegex(upid, r":vzdump:430:root@pam!zenith:$")
        self.assertEqual(self.wait_task(upid)["exitstatus"], "OK")
        self.assertIn("INFO: Backup job finished successfully", self.task_log(upid))
        backups = self.ok("GET", "/nodes/pve3/storage/nfs-backup/content", {"content": "backup"}, via="pve3")
        mine = [b for b in backups if b.get("vmid") == 430]
        self.assertEqual(len(mine), 1, backups)
        self.assertRegex(mine[0]["volid"], r"^nfs-backup:backup/vzdump-lxc-430-\d{4}_\d\d_\d\d-\d\d_\d\d_\d\d\.tar\.zst$")
        self.assertEqual((mine[0]["format"], mine[0]["subtype"], mine[0]["content"]), ("tar.zst", "lxc", "backup"))
        # guests on other nodes: nothing to do here
        self.assertEqual(self.ok("POST", "/nodes/pve2/vzdump", {"vmid": 430}, via="pve2"), "OK")

    def test_qemu_from_iso_with_efidisk(self):
        params = {
            "vmid": 500, "name": "ubuntu-vm", "memory": 4096, "cores": 2, "sockets": 1, "cpu": "host",
            "ostype": "l26", "bios": "ovmf", "machine": "q35", "scsihw": "virtio-scsi-single",
            "efidisk0": "local-lvm:1,efitype=4m,pre-enrolled-keys=1", "scsi0": "local-lvm:32,iothread=1",
            "ide2": "local:iso/ubuntu-24.04-live-server-amd64.iso,media=cdrom", "net0": "virtio,bridge=vmbr0",
            "agent": "1", "boot": "order=scsi0;ide2",
        }
        before = self.storage("pve2", "local-lvm")["avail"]
        upid = self.ok("POST", "/nodes/pve2/qemu", params, via="pve2")
        self.assertEqual(self.wait_task(upid)["exitstatus"], "OK", self.task_log(upid))
        conf = self.config("pve2", "qemu", 500)
        self.assertEqual(conf["scsi0"], "local-lvm:vm-500-disk-0,iothread=1,size=32G")
        self.assertEqual(conf["efidisk0"], "local-lvm:vm-500-disk-1,efitype=4m,pre-enrolled-keys=1,size=4M")
        self.assertEqual(conf["ide2"], "local:iso/ubuntu-24.04-live-server-amd64.iso,media=cdrom")
        self.assertRegex(conf["net0"], r"^virtio=BC:24:11:[0-9A-F:]{8},bridge=vmbr0$")
        self.assertEqual(before - self.storage("pve2", "local-lvm")["avail"], (32 << 30) + (4 << 20))
        self.assertEqual(self.wait_task(self.ok("POST", "/nodes/pve2/qemu/500/status/start", via="pve2"))["exitstatus"], "OK")
        self.assertEqual(self.ok("GET", "/nodes/pve2/qemu/500/status/current", via="pve2")["status"], "running")
        # the same VM on pve1: created, but that node has no such ISO to start from
        params["vmid"] = 501
        self.assertEqual(self.wait_task(self.ok("POST", "/nodes/pve1/qemu", params))["exitstatus"], "OK")
        st = self.wait_task(self.ok("POST", "/nodes/pve1/qemu/501/status/start"))
        self.assertEqual(st["exitstatus"], "volume 'local:iso/ubuntu-24.04-live-server-amd64.iso' does not exist")


if __name__ == "__main__":
    unittest.main()
