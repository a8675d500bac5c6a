"""The endpoint schema file (pve-api-subset.json, verbatim Proxmox schema
entries) turned into routes and parameter checks.

Parameter checking is driven by this file: every endpoint's
parameters.properties (path parameters included) is checked with the
PVE::JSONSchema port in jsonschema.py, as RESTHandler::handle does before a
handler runs. Keys such as 'net[n]' are expanded to net0..netN.
"""

import json
import re

from . import formats, jsonschema

# Highest index of the 'key[n]' properties whose description does not say
# "(n is 0 to N)": the constants in pve-container and qemu-server.
_INDEX_MAX_FALLBACK = {
    ("lxc", "net"): 31,  # PVE::LXC::Config $MAX_LXC_NETWORKS = 32
    ("lxc", "mp"): 255,  # $MAX_MOUNT_POINTS = 256
    ("lxc", "dev"): 255,  # $MAX_DEVICES = 256
    ("lxc", "unused"): 255,
    ("qemu", "net"): 31,  # $MAX_NETS = 32
    ("qemu", "hostpci"): 15,
    ("qemu", "ipconfig"): 31,
    ("qemu", "numa"): 7,
    ("qemu", "virtiofs"): 9,
    ("qemu", "unused"): 255,
}

# The one endpoint the brief asks for that the schema subset lacks:
# PVE::API2::Tasks stop_task (DELETE /nodes/{node}/tasks/{upid}).
_STOP_TASK = {
    "path": "/nodes/{node}/tasks/{upid}",
    "method": "DELETE",
    "extra": True,
    "schema": {
        "allowtoken": 1,
        "description": "Stop a task.",
        "method": "DELETE",
        "name": "stop_task",
        "parameters": {
            "additionalProperties": 0,
            "properties": {
                "node": {"description": "The cluster node name.", "format": "pve-node", "type": "string"},
                "upid": {"type": "string"},
            },
        },
        "protected": 1,
        "proxyto": "node",
        "returns": {"type": "null"},
    },
}


def _index_max(key_base, path, description):
    m = re.search(r"\(n is ([^)]*)\)", description or "")
    if m:
        numbers = [int(n) for n in re.findall(r"\d+", m.group(1))]
        if numbers:
            return max(numbers)
    kind = "lxc" if "/lxc" in path else "qemu"
    return _INDEX_MAX_FALLBACK.get((kind, key_base), 31)


def expand_properties(props, path):
    """{'net[n]': s} -> {'net0': s, ..., 'net31': s}."""
    out = {}
    for key, sub in props.items():
        m = re.fullmatch(r"(.+)\[n\]", key)
        if not m:
            out[key] = sub
            continue
        base = m.group(1)
        for i in range(_index_max(base, path, (sub.get("description") or "") + " " + (sub.get("verbose_description") or "")) + 1):
            out[f"{base}{i}"] = sub
    return out


class Endpoint:
    def __init__(self, entry):
        self.path = entry["path"]
        self.method = entry["method"]
        self.schema = entry["schema"]
        params = self.schema.get("parameters") or {}
        self.raw_properties = params.get("properties") or {}
        self.properties = expand_properties(self.raw_properties, self.path)
        self.additional_properties = params.get("additionalProperties", 0)
        self.proxyto = self.schema.get("proxyto")
        self.allowtoken = self.schema.get("allowtoken", 1)
        self.returns_type = (self.schema.get("returns") or {}).get("type")
        self.path_params = re.findall(r"\{(\w+)\}", self.path)
        self.regex = re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path)) + "$")

    def __repr__(self):
        return f"<{self.method} {self.path}>"

    def property(self, key):
        return self.properties.get(key)


class Schema:
    def __init__(self, filename):
        with open(filename, encoding="utf-8") as f:
            data = json.load(f)
        self.source = data.get("_source", {})
        entries = list(data["endpoints"])
        if not any(e["path"] == _STOP_TASK["path"] and e["method"] == "DELETE" for e in entries):
            entries.append(_STOP_TASK)
        self.endpoints = [Endpoint(e) for e in entries]
        self._register_borrowed_formats()

    def _register_borrowed_formats(self):
        # qemu's 'cdrom' is format 'pve-qm-ide': the object shown for ide[n]
        qemu_create = self.get("POST", "/nodes/{node}/qemu")
        if qemu_create:
            ide = qemu_create.raw_properties.get("ide[n]", {}).get("format")
            if isinstance(ide, dict):
                formats.register_hash_format("pve-qm-ide", ide)

    def get(self, method, path):
        for e in self.endpoints:
            if e.method == method and e.path == path:
                return e
        return None

    def find(self, method, rel_path):
        """(endpoint, uri_params), or (None, None) when nothing matches."""
        for e in self.endpoints:
            if e.method != method:
                continue
            m = e.regex.match(rel_path)
            if m:
                return e, m.groupdict()
        return None, None

    def validate(self, endpoint, params):
        """PVE::JSONSchema::validate of the merged parameters: {field: error}."""
        errors = {}
        jsonschema.check_object("", endpoint.properties, params, endpoint.additional_properties, errors)
        return errors

    def format_of(self, method, path, key):
        """The format object of a property-string parameter (e.g. net0)."""
        e = self.get(method, path)
        sub = e.property(key) if e else None
        fmt = sub.get("format") if sub else None
        if isinstance(fmt, str):
            fmt = formats.lookup(fmt)
        return fmt if isinstance(fmt, dict) else None

    def type_of(self, method, path, key):
        e = self.get(method, path)
        sub = e.property(key) if e else None
        return sub.get("type") if sub else None
