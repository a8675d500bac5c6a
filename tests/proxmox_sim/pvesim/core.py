"""The simulator object: one cluster, its schema, tasks, faults, request
log and the per-node servers. pve_sim.py builds one; httpd serves it.
"""

import hmac
import json
import threading
import time

from . import api_cluster, api_lxc, api_qemu  # noqa: F401 - registers the handlers
from .cluster import Cluster
from .faults import Faults
from .schema import Schema
from .seed import default_seed
from .tasks import TaskEngine


class Clock:
    """Proxmox durations (seconds) times --speed: 0.1 runs ten times faster."""

    def __init__(self, speed):
        self.speed = float(speed)

    def scale(self, seconds):
        return max(0.0, float(seconds) * self.speed)

    def sleep(self, seconds):
        time.sleep(self.scale(seconds))


class Simulator:
    def __init__(self, nodes, schema_file, token_id, token_secret, speed=1.0, auth_fail_delay=3.0, seed_file=None):
        self.node_names = list(nodes)
        self.schema = Schema(schema_file)
        self.clock = Clock(speed)
        self.faults = Faults()
        if seed_file:
            with open(seed_file, encoding="utf-8") as f:
                self.seed = json.load(f)
        else:
            self.seed = default_seed(self.node_names)
        self.cluster = Cluster(self.node_names, self.seed, self.clock)
        self.tasks = TaskEngine(self)
        self.token_id = token_id  # user@realm!tokenid
        self.token_user = token_id  # the user the API sees (tokens are their own user)
        self._token_secret = token_secret  # never logged, never returned
        # An admin removed the token (pveum user token remove): every request
        # with it is refused as a wrong secret is, until it is restored.
        self.token_revoked = False
        self.auth_fail_delay = float(auth_fail_delay)
        self.offline_connect_delay = 3.0  # Proxmox seconds (scaled): a dead node's ARP timeout
        self.started_at = time.time()
        self._requests = []
        self._requests_lock = threading.Lock()
        self._request_seq = 0
        self.servers = {}  # node -> httpd.NodeServer (None while offline)
        self.ports = {}
        self.ca_file = None
        self.cert_files = {}
        self.fingerprints = {}
        self.control_url = None

    # --- auth ------------------------------------------------------------------

    def verify_token(self, value):
        """PVE::AccessControl::verify_token: 'USER@REALM!TOKENID=SECRET'."""
        tokenid, sep, secret = value.rpartition("=")
        if not sep or self.token_revoked:
            return False
        return hmac.compare_digest(tokenid.encode(), self.token_id.encode()) and hmac.compare_digest(
            secret.encode(), self._token_secret.encode()
        )

    def mask_secret(self, text):
        if self._token_secret and isinstance(text, str) and self._token_secret in text:
            return text.replace(self._token_secret, "***")
        return text

    # --- request log -------------------------------------------------------------

    def record_request(self, entry):
        with self._requests_lock:
            self._request_seq += 1
            entry["seq"] = self._request_seq
            self._requests.append(entry)

    def requests(self):
        with self._requests_lock:
            return list(self._requests)

    def reset_requests(self):
        with self._requests_lock:
            self._requests = []

    # --- control -------------------------------------------------------------------

    def reset(self):
        """Back to the seed: tasks killed, faults and the request log cleared,
        every node online."""
        self.tasks.clear()
        self.faults.clear()
        self.cluster.load(self.seed)
        self.token_revoked = False
        for node in self.node_names:
            self.set_node_online(node, True)
        self.reset_requests()

    def set_node_online(self, node, online):
        from . import httpd

        if node not in self.cluster.nodes:
            raise ValueError(f"no such node '{node}'")
        with self.cluster.lock:
            self.cluster.nodes[node]["online"] = bool(online)
        server = self.servers.get(node)
        if not online and server is not None:
            self.servers[node] = None
            server.stop()
        elif online and server is None and node in self.ports:
            self.servers[node] = httpd.start_node_server(self, node, self.ports[node])

    def info(self):
        return {
            "nodes": {
                n: {"url": f"https://127.0.0.1:{self.ports[n]}", "fingerprint": self.fingerprints[n], "port": self.ports[n]}
                for n in self.node_names
            },
            "ca_file": self.ca_file,
            "control_url": self.control_url,
            "token_id": self.token_id,
        }

    def state(self):
        snap = self.cluster.snapshot()
        for n in snap["nodes"]:
            snap["nodes"][n]["port"] = self.ports.get(n)
        with self.cluster.lock:
            snap["tasks"] = [
                {k: v for k, v in t.to_json().items() if k != "log"} for t in self.tasks.tasks.values()
            ]
        snap["faults"] = self.faults.snapshot()
        snap["speed"] = self.clock.speed
        return snap

    def tasks_json(self):
        with self.cluster.lock:
            return [t.to_json() for t in self.tasks.tasks.values()]

    def shutdown(self):
        self.tasks.stop_all()
        for node, server in list(self.servers.items()):
            if server is not None:
                server.stop()
            self.servers[node] = None
