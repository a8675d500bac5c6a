#!/usr/bin/env python3
"""Proxmox VE API simulator: one process, one cluster of N nodes, each node
on its own 127.0.0.1 HTTPS port with its own certificate from a cluster CA.

  python3 pve_sim.py --state-dir DIR --info-file FILE \\
      --nodes pve1,pve2,pve3 --token-id 'root@pam!zenith' --token-secret-file FILE \\
      [--schema FILE] [--seed FILE] [--speed FACTOR] [--auth-fail-delay SECONDS]

When every port listens, FILE (--info-file) is written atomically:
  {"nodes": {"pve1": {"url": "https://127.0.0.1:PORT", "fingerprint": "AA:..", "port": PORT}, ...},
   "ca_file": ".../pve-root-ca.pem", "control_url": "http://127.0.0.1:PORT", "token_id": "..."}
SIGTERM or SIGINT ends it cleanly. See README.md for the API and the
control API.
"""

import argparse
import json
import os
import signal
import sys
import threading

sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pvesim import certs, httpd  # noqa: E402
from pvesim.core import Simulator  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args(argv):
    ap = argparse.ArgumentParser(description="Proxmox VE API simulator (loopback only)")
    ap.add_argument("--state-dir", required=True, help="certificates and runtime files go here")
    ap.add_argument("--info-file", required=True, help="JSON written once all ports listen")
    ap.add_argument("--nodes", default="pve1,pve2,pve3", help="comma-separated node names")
    ap.add_argument("--token-id", default="root@pam!zenith", help="the one accepted API token id (user@realm!name)")
    ap.add_argument("--token-secret-file", required=True, help="file holding the token secret")
    ap.add_argument("--schema", default=os.path.join(HERE, "pve-api-subset.json"), help="endpoint schema (default: next to this script)")
    ap.add_argument("--seed", help="JSON cluster seed instead of the built-in one (README.md)")
    ap.add_argument("--speed", type=float, default=1.0, help="multiplies every simulated duration (0.1 = ten times faster)")
    ap.add_argument("--auth-fail-delay", type=float, default=3.0, help="seconds before a 401 (real: 3)")
    args = ap.parse_args(argv)
    args.nodes = [n.strip() for n in args.nodes.split(",") if n.strip()]
    if not args.nodes:
        ap.error("--nodes needs at least one node")
    for n in args.nodes:
        if not n.replace("-", "").isalnum():
            ap.error(f"--nodes: '{n}' is not a node name")
    if "!" not in args.token_id or "@" not in args.token_id:
        ap.error("--token-id must look like user@realm!tokenname")
    return args


def write_atomically(path, text):
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    with open(args.token_secret_file, encoding="utf-8") as f:
        secret = f.read().strip()
    if not secret:
        print("pve_sim: the token secret file is empty", file=sys.stderr)
        return 2
    os.makedirs(args.state_dir, exist_ok=True)

    sim = Simulator(args.nodes, args.schema, args.token_id, secret, args.speed, args.auth_fail_delay, args.seed)
    pki = certs.make_cluster_pki(os.path.join(args.state_dir, "pki"), args.nodes)
    sim.ca_file = pki["ca_file"]
    sim.cert_files = pki["nodes"]
    sim.fingerprints = {n: pki["nodes"][n]["fingerprint"] for n in args.nodes}

    for node in args.nodes:
        server = httpd.start_node_server(sim, node, 0)
        sim.servers[node] = server
        sim.ports[node] = server.server_address[1]
    control = httpd.start_control_server(sim)
    sim.control_url = f"http://127.0.0.1:{control.server_address[1]}"

    write_atomically(args.info_file, json.dumps(sim.info(), indent=1) + "\n")
    print(f"pve_sim: {len(args.nodes)} nodes up, control at {sim.control_url}", file=sys.stderr, flush=True)

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    while not stop.wait(1.0):
        pass
    sim.shutdown()
    control.shutdown()
    control.server_close()
    print("pve_sim: stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
