"""The cluster CA and one certificate per node, made with the openssl CLI
(argv lists, never a shell), like a Proxmox cluster's
/etc/pve/pve-root-ca.pem and /etc/pve/nodes/NODE/pve-ssl.pem.

EC P-256 keys: as good as RSA for the tests and generated instantly.
"""

import hashlib
import os
import ssl
import subprocess
import uuid


def _openssl(args, cwd):
    proc = subprocess.run(["openssl", *args], cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {proc.stderr.strip()}")


def fingerprint_sha256(pem_file):
    """'AA:BB:...' (upper-case hex of the SHA-256 of the DER certificate),
    the form Proxmox shows and pins."""
    with open(pem_file, encoding="ascii") as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def make_cluster_pki(directory, nodes, cluster_domain="sim.pve.invalid"):
    """Returns {"ca_file": path, "nodes": {node: {"cert", "key", "fingerprint"}}}."""
    os.makedirs(directory, exist_ok=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    ca_key, ca_pem = "pve-root-ca.key", "pve-root-ca.pem"
    _openssl(
        [
            "req", "-x509", *ec, "-keyout", ca_key, "-out", ca_pem, "-days", "3650", "-sha256",
            "-subj", f"/CN=Proxmox Virtual Environment/OU={uuid.uuid4()}/O=PVE Cluster Manager CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ],
        directory,
    )
    result = {"ca_file": os.path.join(directory, ca_pem), "nodes": {}}
    for serial, node in enumerate(nodes, start=2):
        key, csr, pem, ext = f"{node}-ssl.key", f"{node}-ssl.csr", f"{node}-ssl.pem", f"{node}-ssl.ext"
        _openssl(
            ["req", *ec, "-keyout", key, "-out", csr, "-sha256",
             "-subj", f"/OU=PVE Cluster Node/O=Proxmox Virtual Environment/CN={node}.{cluster_domain}"],
            directory,
        )
        with open(os.path.join(directory, ext), "w", encoding="ascii") as f:
            f.write(
                "basicConstraints=CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment,keyAgreement\n"
                "extendedKeyUsage=serverAuth\n"
                f"subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:{node},DNS:{node}.{cluster_domain}\n"
            )
        _openssl(
            ["x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key, "-set_serial", str(serial),
             "-days", "700", "-sha256", "-extfile", ext, "-out", pem],
            directory,
        )
        for tmp in (csr, ext):
            os.unlink(os.path.join(directory, tmp))
        cert_path = os.path.join(directory, pem)
        result["nodes"][node] = {
            "cert": cert_path,
            "key": os.path.join(directory, key),
            "fingerprint": fingerprint_sha256(cert_path),
        }
    return result
