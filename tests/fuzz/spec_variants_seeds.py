#!/usr/bin/env python3
"""Writes corpus/spec_variants/*.bin: specs from the unit tests
(core_spec_test.cpp, dbus_spec_variant_test.cpp) and zenithctl's usual
create, encoded in the input layout of spec_variants_fuzz.cpp.

That target decodes with libFuzzer's FuzzedDataProvider, which reads strings
from the front of the input and integers from the back; this is its inverse
for exactly the calls the target makes, in the same order. Run it again after
changing that layout; check with
ZENITH_FUZZ_PRINT=1 build-fuzz/tests/fuzz/spec_variants_fuzz corpus/spec_variants/*.
"""
import os
import struct
import sys

# Type tags of spec_variants_fuzz.cpp, in its order.
TAGS = {"b": 0, "q": 1, "u": 2, "t": 3, "i": 4, "x": 5, "d": 6, "s": 7,
        "as": 8, "a(sqq)": 9, "a{sv}": 10, "y": 11, "o": 12, "ai": 13}
LAST_TAG = 14          # EMPTY, offered at the top level
LAST_NESTED_TAG = 13   # EMPTY - 1, below the top level
LAST_SCALAR = TAGS["s"]
MAX_DEPTH = 2
MAX_KEYS = 40
MAX_ENTRIES = 120


class Encoder:
    def __init__(self):
        self.front = bytearray()
        self.back = []  # integers, in the order the target consumes them

    def integer(self, value, lo, hi):
        # ConsumeIntegralInRange: as many bytes as the range needs, the first
        # consumed (the last in the file) most significant.
        span, v = hi - lo, value - lo
        assert 0 <= v <= span, (value, lo, hi)
        n = 0
        while n < 8 and span >> (8 * n):
            n += 1
        self.back.append(v.to_bytes(n, "little"))

    def boolean(self, value):
        self.integer(int(value), 0, 255)

    def string(self, text):
        # ConsumeRandomLengthString: "\\" is a backslash, "\" + other ends it.
        self.front += text.encode().replace(b"\\", b"\\\\") + b"\\|"

    def data(self):
        return bytes(self.front) + b"".join(reversed(self.back))


def variant(enc, value, depth):
    sig, v = value
    last = LAST_TAG if depth == 0 else LAST_NESTED_TAG if depth < MAX_DEPTH else LAST_SCALAR
    enc.integer(TAGS[sig], 0, last)
    if sig == "b":
        enc.boolean(v)
    elif sig in ("q", "u", "t", "y"):
        enc.integer(v, 0, {"q": 2**16, "u": 2**32, "t": 2**64, "y": 2**8}[sig] - 1)
    elif sig in ("i", "x"):
        bits = 32 if sig == "i" else 64
        enc.integer(v, -2**(bits - 1), 2**(bits - 1) - 1)
    elif sig == "d":
        enc.integer(struct.unpack("<Q", struct.pack("<d", v))[0], 0, 2**64 - 1)
    elif sig in ("s", "o"):
        enc.string(v)
    elif sig == "as":
        enc.integer(len(v), 0, MAX_ENTRIES)
        for s in v:
            enc.string(s)
    elif sig == "a(sqq)":
        enc.integer(len(v), 0, MAX_ENTRIES)
        for proto, host, machine in v:
            enc.string(proto)
            enc.integer(host, 0, 2**16 - 1)
            enc.integer(machine, 0, 2**16 - 1)
    elif sig == "ai":
        enc.integer(len(v), 0, MAX_ENTRIES)
        for i in v:
            enc.integer(i, -2**31, 2**31 - 1)
    elif sig == "a{sv}":
        enc.integer(len(v), 0, MAX_ENTRIES)
        for k, inner in v.items():
            enc.string(k)
            variant(enc, inner, depth + 1)
    else:
        raise ValueError(sig)


def encode(spec):
    enc = Encoder()
    enc.integer(len(spec), 0, MAX_KEYS)
    for key, value in spec.items():
        enc.boolean(False)  # the key as a string: seeds do not depend on specKeys()' order
        enc.string(key)
        variant(enc, value, 0)
    return enc.data()


def S(v): return ("s", v)
def U(v): return ("u", v)
def T(v): return ("t", v)


GiB = 1 << 30
ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOc1sg1JVSFy9QBwuLlBgsH4szDMx+kc/VPml9o96dRh alice@example"
SEEDS = {
    # zenithctl create web1 --memory 1G --cpu 100 --password-stdin
    "zenithctl-create": {"release": S("bookworm"), "memory_max": T(GiB), "cpu_quota": U(100),
                         "password": S("hunter2 hunter2")},
    # core_spec_test.cpp: every key with a valid value
    "every-key": {
        "distro": S("debian"), "release": S("bookworm"), "arch": S("arm64"), "template": S("tpl"),
        "ssh": ("b", True), "ssh_authorized_keys": ("as", [ED25519]), "cpu_quota": U(150),
        "memory_max": T(2 * GiB), "disk_max": T(20 * GiB), "swap_max": T(0), "cores": U(4),
        "bridge": S("br-lan"), "ipv4": S("auto"), "gateway": S("10.1.10.1"),
        "dns": ("as", ["1.1.1.1", "2606:4700::1111"]), "ipv6_mode": S("6in4"), "ipv6": S("2001:db8::2"),
        "tunnel": ("a{sv}", {"remote": S("192.0.2.1"), "local": S("198.51.100.7"),
                             "address": S("2001:db8:1::2/64")}),
        "ports": ("a(sqq)", [("tcp", 2222, 22), ("udp", 5353, 53)]), "node": S("pve2"), "vmid": U(4242),
        "storage": S("local-lvm"), "iso": S("local:iso/a.iso"), "os_type": S("win11"), "bios": S("seabios"),
        "virtio_iso": S("local:iso/v.iso"), "password_hash": S("$y$j9T$abc$def")},
    # dbus_spec_variant_test.cpp: every scalar signature (most under the wrong key)
    "scalar-signatures": {"ssh": ("b", True), "vmid": ("q", 8080), "cpu_quota": U(150), "memory_max": T(GiB),
                          "cores": ("i", -5), "disk_max": ("x", -(1 << 40)), "swap_max": ("d", 2.5),
                          "release": S("bookworm")},
    # dbus_spec_variant_test.cpp: containers, and a tunnel entry that is not a string
    "containers": {"dns": ("as", ["1.1.1.1", "9.9.9.9"]),
                   "ports": ("a(sqq)", [("tcp", 2222, 22), ("udp", 51820, 51820)]),
                   "tunnel": ("a{sv}", {"remote": S("192.0.2.1"), "local": S("198.51.100.2")})},
    "tunnel-non-string": {"tunnel": ("a{sv}", {"remote": U(7), "list": ("ai", [1, 2]),
                                               "nested": ("a{sv}", {"local": S("192.0.2.9")})})},
    "unsupported-types": {"release": ("y", 7), "template": ("o", "/org/zenith/Provisioner")},
    "unknown-key": {"memory": T(GiB), "release": S("bookworm")},
    "static-address": {"bridge": S("br0"), "ipv4": S("10.1.10.50/24"), "gateway": S("10.1.10.1"),
                       "ipv6_mode": S("native"), "ipv6": S("2001:db8::50/64"), "disk_max": T(10 * GiB)},
}


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "spec_variants")
    os.makedirs(out, exist_ok=True)
    for name, spec in SEEDS.items():
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(encode(spec))
    print(f"{len(SEEDS)} seeds in {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
