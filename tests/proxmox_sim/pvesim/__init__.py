"""Proxmox VE API simulator (test support, Python standard library only).

Modules:
  jsonschema  PVE::JSONSchema's parameter checks and property strings
  formats     the named formats (pve-vmid, dns-name, ...) the schema refers to
  schema      the endpoint schema file: routes, [n] keys, parameter checking
  errors      exceptions carrying Proxmox's HTTP status and text
  cluster     the shared cluster state (nodes, storages, volumes, guests, locks)
  storage     storage semantics (volume names, linked-clone support, space)
  tasks       worker tasks (UPIDs, progressive logs, stop)
  faults      faults injected through the control API
  api_*       the endpoints' behaviour, after the real pve-container,
              qemu-server and pve-manager code
  httpd       one HTTPS server per node (pveproxy's request flow) and the
              plain-HTTP control server
  certs       the cluster CA and node certificates (openssl CLI)
  seed        the default cluster
"""
