"""The HTTP side: one HTTPS server per node, doing what pveproxy does with a
request (pve-http-server AnyEvent.pm + pve-manager HTTPServer.pm), and the
plain-HTTP control server for tests.

Order of a node request, as in pveproxy:
 1. /api2/json/... or 501 "no such uri"
 2. token auth; failures answer 401 after --auth-fail-delay (3 s real)
 3. a body on GET/DELETE -> 501 "Unexpected content for method 'X'"
 4. route lookup -> 501 "Method 'GET /x' not implemented"
 5. proxyto node: unknown -> 500 hostname lookup; offline -> 595
 6. parameter check against the schema (on the target node) -> 400
 7. the handler; its ApiError becomes the status, reason and message
"""

import json
import re
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote_to_bytes, urlsplit

from .api_common import HANDLERS, Request
from .errors import ApiError

SECRET_PARAMS = ("password", "cipassword")


def decode_urlencoded(data):
    """AnyEvent.pm decode_urlencoded: split on & and ;, '+' is a blank,
    a key without '=' is undef, a repeated key becomes a list."""
    res = {}
    if not data:
        return res
    for kv in re.split(r"[&;]", data):
        k, sep, v = kv.partition("=")
        k = unquote_to_bytes(k.replace("+", " ")).decode("utf-8", "replace")
        if not sep:
            res[k] = None
            continue
        v = unquote_to_bytes(v.replace("+", " ")).decode("utf-8", "replace")
        old = res.get(k)
        if k in res and old is not None:
            res[k] = (old if isinstance(old, list) else [old]) + [v]
        else:
            res[k] = v
    return res


def extract_token(header):
    """PVE::APIServer::Formatter::extract_auth_value(header, 'PVEAPIToken')."""
    if not header:
        return None
    m = re.search(r"(?:^|\s)PVEAPIToken(?:=| )([^;]*)", header)
    if not m:
        return None
    return unquote_to_bytes(m.group(1)).decode("utf-8", "replace")


def masked_auth(header):
    if not header:
        return None
    token = extract_token(header)
    if token is None:
        return "***"
    tokenid = token.rpartition("=")[0] if "=" in token else "?"
    return f"PVEAPIToken={tokenid}=***"


class NodeServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, sim, node, port, ssl_ctx):
        self.sim = sim
        self.node = node
        self.ssl_ctx = ssl_ctx
        self.active = set()
        self.active_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), NodeRequestHandler)

    def get_request(self):
        sock, addr = self.socket.accept()
        # the TLS handshake happens in the connection's thread, not here
        return self.ssl_ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def process_request(self, request, client_address):
        with self.active_lock:
            self.active.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self.active_lock:
            self.active.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ssl.SSLError, ConnectionError, TimeoutError, OSError)):
            return  # clients hanging up or failing the handshake (pinning tests)
        super().handle_error(request, client_address)

    def stop(self):
        """The node goes away: no listener, open connections cut."""
        self.shutdown()
        self.server_close()
        with self.active_lock:
            conns = list(self.active)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def start_node_server(sim, node, port):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(sim.cert_files[node]["cert"], sim.cert_files[node]["key"])
    server = NodeServer(sim, node, port, ctx)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"node-{node}", daemon=True).start()
    return server


class NodeRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # http.server writes the status line, each header and the body
    # separately; with Nagle on, every answer after the first on a kept-alive
    # connection waits for the client's delayed ACK (~40 ms), a stall
    # pveproxy (one buffered write per answer) does not have.
    disable_nagle_algorithm = True
    server_version = "pve-api-daemon/3.0"
    sys_version = ""
    timeout = 300

    def log_message(self, fmt, *args):
        pass  # every request is in the control API's /requests

    def version_string(self):
        return self.server_version

    def do_GET(self):
        self._handle()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_GET

    # --- the request flow -----------------------------------------------------

    def _handle(self):
        sim, node = self.server.sim, self.server.node
        if not sim.cluster.is_online(node):
            # the node is down: nothing answers
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        started = time.time()
        url = urlsplit(self.path)
        entry = {
            "time": started,
            "method": self.command,
            "path": unquote_to_bytes(url.path).decode("utf-8", "replace"),
            "node": node,
            "port": self.server.server_address[1],
            "auth": masked_auth(self.headers.get("Authorization")),
        }
        try:
            status, reason, body, total_entry = self._process(url, entry)
        except Exception as e:  # a simulator bug: a 500 that says so
            import traceback

            traceback.print_exc(file=sys.stderr)
            status, reason, body = 500, f"simulator internal error: {e}", None
        # Recorded before the answer goes out: a client that reads
        # GET /requests (or resets it) right after its answer must find the
        # request there, not see it land afterwards.
        entry.update({"status": status, "reason": reason, "duration": round(time.time() - started, 4)})
        sim.record_request(entry)
        self._send(status, reason, body)

    def _process(self, url, entry):
        sim, node = self.server.sim, self.server.node
        method = self.command
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length > 0 else b""
        path = entry["path"]
        m = re.fullmatch(r"/api2/(json|extjs|html|htmljs|spiceconfig|png)(/.*)?", path)
        if not m:
            return 501, "no such uri", None, None
        fmt, rel = m.group(1), (m.group(2) or "/").rstrip("/") or "/"
        entry["rel_path"] = rel
        if fmt != "json":
            return 501, f"no formatter for uri {rel}, {fmt}", None, None

        te = self.headers.get("Transfer-Encoding")
        if te:
            return 501, "chunked transfer encoding not supported" if te.lower() == "chunked" else f"Unknown transfer encoding '{te}'", None, None

        # 2. authentication
        no_auth = (rel == "/access/ticket" and method in ("GET", "POST")) or (rel == "/access/domains" and method == "GET")
        token = None
        if not no_auth:
            token = extract_token(self.headers.get("Authorization"))
            if not token or not sim.verify_token(token):
                self._auth_delay(entry["time"])
                return 401, "No ticket" if not token else "Authentication failed!", None, None

        # 3. parameters
        if length and method not in ("POST", "PUT"):
            return 501, f"Unexpected content for method '{method}'", None, None
        params = {}
        if method in ("POST", "PUT"):
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            if ctype == "application/json":
                try:
                    params = {k: (v if isinstance(v, (list, dict)) or v is None else str(v) if not isinstance(v, bool) else str(int(v)))
                              for k, v in json.loads(raw_body or b"{}").items()}
                except (ValueError, AttributeError):
                    return 400, "Parameter verification failed.", {"data": None, "message": "Parameter verification failed.\n", "errors": {"_root": "unable to parse JSON body"}}, None
            else:
                params = decode_urlencoded(raw_body.decode("latin-1"))
        params.update(decode_urlencoded(url.query))
        params.pop("_dc", None)
        entry["params"] = {k: ("***" if k in SECRET_PARAMS else sim.mask_secret(v)) for k, v in params.items()}

        # fault: a transient 500 from the server itself
        msg = sim.faults.take_http_500(f"{method} {rel}")
        if msg:
            return self._error(ApiError(500, msg + "\n"))

        # 4. route
        endpoint, uri_params = sim.schema.find(method, rel)
        if endpoint is None:
            return self._error(ApiError(501, f"Method '{method} {rel}' not implemented"))
        for k, v in params.items():
            if k in uri_params and uri_params[k] != v:
                return self._error(ApiError(400, "Parameter verification failed.\n",
                                            {k: "duplicate parameter (already defined in URI) with conflicting values!"}))
        merged = dict(uri_params)  # the path was unescaped before matching, as pveproxy does
        merged.update(params)
        if token and not endpoint.allowtoken:
            return self._error(ApiError(403, f"Permission check failed (URI '{rel}' not available with API token, need proper ticket.)\n"))

        # 5. proxy to the node the call is for
        exec_node = node
        if endpoint.proxyto:
            target = merged.get(endpoint.proxyto)
            if not target:
                return self._error(ApiError(400, "Parameter verification failed.\n", {endpoint.proxyto: "proxyto parameter does not exist"}))
            if target not in sim.cluster.nodes:
                return self._error(ApiError(500, f"hostname lookup '{target}' failed - failed to get address info for: {target}: Name or service not known\n"))
            if target != node:
                entry["proxied_to"] = target
                if not sim.cluster.is_online(target):
                    time.sleep(sim.clock.scale(sim.offline_connect_delay))
                    # AnyEvent::HTTP's connect error, passed through by pveproxy
                    return 595, "No route to host", b"", None
                exec_node = target
        entry["exec_node"] = exec_node

        # 6. the schema
        errors = sim.schema.validate(endpoint, merged)
        if errors:
            return self._error(ApiError(400, "Parameter verification failed.\n", errors))

        # 7. the handler
        fn = HANDLERS.get((method, endpoint.path))
        if fn is None:
            return self._error(ApiError(501, f"Method '{method} {rel}' not implemented"))
        req = Request(sim, endpoint, exec_node, merged)
        try:
            data = fn(req)
        except ApiError as e:
            if e.status == 401:
                self._auth_delay(entry["time"])
            return self._error(e)
        out = {"data": data}
        if req.total:
            out["total"] = req.total
        if isinstance(data, str) and data.startswith("UPID:"):
            entry["upid"] = data
        return 200, "OK", out, None

    def _auth_delay(self, started):
        delay = self.server.sim.auth_fail_delay - (time.time() - started)
        if delay > 0:
            time.sleep(delay)

    @staticmethod
    def _error(e):
        body = {"data": None, "message": e.message}
        if e.errors:
            body["errors"] = dict(sorted(e.errors.items()))
        return e.status, e.message.split("\n", 1)[0], body, None

    def _send(self, status, reason, body):
        if isinstance(body, dict):
            payload = json.dumps(body, separators=(",", ":")).encode()
            ctype = "application/json;charset=UTF-8"
        else:
            payload = body or b""
            ctype = None
        reason = (reason or "").encode("latin-1", "replace").decode("latin-1")
        self.send_response(status, reason)
        if ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "max-age=0")
        self.send_header("Pragma", "no-cache")
        if status >= 400:
            # pveproxy ends keep-alive after an error
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD" and payload:
            self.wfile.write(payload)


# --- control server ---------------------------------------------------------------------


class ControlHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "pve-sim-control/1"

    def log_message(self, fmt, *args):
        pass

    def _json(self, status, obj):
        payload = json.dumps(obj, indent=1, sort_keys=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw) if raw.strip() else {}

    def do_GET(self):
        sim = self.server.sim
        path = urlsplit(self.path).path.rstrip("/")
        if path == "/state":
            return self._json(200, sim.state())
        if path == "/requests":
            return self._json(200, sim.requests())
        if path == "/tasks":
            return self._json(200, sim.tasks_json())
        if path == "/faults":
            return self._json(200, sim.faults.snapshot())
        if path in ("/info", ""):
            return self._json(200, sim.info())
        return self._json(404, {"error": f"no such control path {path}"})

    def do_POST(self):
        sim = self.server.sim
        path = urlsplit(self.path).path.rstrip("/")
        try:
            body = self._body()
            if path == "/fault":
                if not isinstance(body, dict) or not body:
                    raise ValueError("POST /fault wants a JSON object, e.g. {\"node_offline\": \"pve2\"}")
                for key, value in body.items():
                    if key == "node_offline":
                        sim.set_node_online(str(value), False)
                    elif key == "node_online":
                        sim.set_node_online(str(value), True)
                    elif key == "token_revoked":
                        sim.token_revoked = bool(value)
                    elif key == "clear":
                        sim.faults.clear()
                    else:
                        sim.faults.add(key, value)
                return self._json(200, {"ok": True, "faults": sim.faults.snapshot()})
            if path == "/faults/clear":
                sim.faults.clear()
                return self._json(200, {"ok": True})
            if path == "/reset":
                sim.reset()
                return self._json(200, {"ok": True})
            if path == "/requests/reset":
                sim.reset_requests()
                return self._json(200, {"ok": True})
            if path == "/config":
                if "speed" in body:
                    sim.clock.speed = float(body["speed"])
                if "auth_fail_delay" in body:
                    sim.auth_fail_delay = float(body["auth_fail_delay"])
                return self._json(200, {"ok": True, "speed": sim.clock.speed, "auth_fail_delay": sim.auth_fail_delay})
        except (ValueError, KeyError, TypeError) as e:
            return self._json(400, {"error": str(e)})
        except OSError as e:  # e.g. a node's port taken while it was offline
            return self._json(500, {"error": str(e)})
        return self._json(404, {"error": f"no such control path {path}"})


class ControlServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, sim):
        self.sim = sim
        super().__init__(("127.0.0.1", 0), ControlHandler)


def start_control_server(sim):
    server = ControlServer(sim)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="control", daemon=True).start()
    return server
