"""The default cluster a simulator starts with (and goes back to on
POST /reset), unless --seed FILE gives another one of the same shape.

Node roles are by position in --nodes, so any node names work: the first
node holds the templates; ISOs are spread so that "which node has this
ISO" matters (ubuntu only on the second, Windows + virtio only on the
third).
"""

GIB = 1 << 30
MIB = 1 << 20
TIB = 1 << 40

DEBIAN_VZTMPL = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"


def default_seed(nodes):
    n0 = nodes[0]
    n1 = nodes[1 % len(nodes)]
    n2 = nodes[2 % len(nodes)]
    t0 = 1736650000  # 2025-01-12, seed files' ctime
    volumes = [
        {"volid": "local:iso/debian-12.iso", "node": n0, "size": 658505728, "ctime": t0},
        {"volid": "local:iso/ubuntu-24.04-live-server-amd64.iso", "node": n1, "size": 2773874688, "ctime": t0 + 60},
        {"volid": "local:iso/Win11_24H2.iso", "node": n2, "size": 5819484160, "ctime": t0 + 120},
        {"volid": "local:iso/virtio-win-0.1.262.iso", "node": n2, "size": 708995072, "ctime": t0 + 180},
    ]
    # the container template is downloaded on every node (local is per node)
    for i, n in enumerate(nodes):
        volumes.append({"volid": DEBIAN_VZTMPL, "node": n, "size": 126009282, "ctime": t0 + 240 + i})
    volumes += [
        {"volid": "local-lvm:base-9000-disk-0", "node": n0, "size": 8 * GIB, "vmid": 9000, "content": "rootdir"},
        {"volid": "vmdata:9001/base-9001-disk-0.raw", "node": n0, "size": 8 * GIB, "vmid": 9001, "content": "rootdir"},
        {"volid": "local-lvm:base-9100-disk-0", "node": n0, "size": 32 * GIB, "vmid": 9100, "content": "images"},
        {"volid": "local-lvm:base-9100-disk-1", "node": n0, "size": 4 * MIB, "vmid": 9100, "content": "images"},
        {
            "volid": "nfs-backup:backup/vzdump-lxc-9000-2025_01_12-03_00_01.tar.zst",
            "size": 432013312,
            "ctime": t0 + 300,
            "vmid": 9000,
            "subtype": "lxc",
            "notes": "cloudpod-template",
        },
    ]
    lxc_template = {
        "arch": "amd64",
        "cores": 2,
        "features": "nesting=1",
        "hostname": "cloudpod-template",
        "memory": 2048,
        "net0": "name=eth0,bridge=vmbr0,hwaddr=BC:24:11:3A:5C:01,ip=dhcp,type=veth",
        "ostype": "debian",
        "rootfs": "local-lvm:base-9000-disk-0,size=8G",
        "swap": 512,
        "template": 1,
        "unprivileged": 1,
    }
    return {
        "storages": [
            # per node: ISOs, container templates, backups
            {"storage": "local", "type": "dir", "path": "/var/lib/vz", "content": "iso,vztmpl,backup", "shared": 0,
             "total": 100 * GIB, "base_used": 18 * GIB},
            # per node, thin LVM: linked clones from templates work here
            {"storage": "local-lvm", "type": "lvmthin", "content": "images,rootdir", "shared": 0,
             "total": 400 * GIB, "base_used": 0},
            # a plain directory storage: no linked clones for containers
            {"storage": "vmdata", "type": "dir", "path": "/mnt/vmdata", "content": "images,rootdir", "shared": 0,
             "total": 1 * TIB, "base_used": 50 * GIB},
            # shared backup target
            {"storage": "nfs-backup", "type": "nfs", "path": "/mnt/pve/nfs-backup", "content": "backup", "shared": 1,
             "total": 4 * TIB, "base_used": 1200 * GIB},
        ],
        "volumes": volumes,
        "guests": [
            {"vmid": 9000, "type": "lxc", "node": n0, "status": "stopped", "config": lxc_template},
            {"vmid": 9001, "type": "lxc", "node": n0, "status": "stopped",
             "config": dict(lxc_template, hostname="cloudpod-template-dir",
                            net0="name=eth0,bridge=vmbr0,hwaddr=BC:24:11:3A:5C:02,ip=dhcp,type=veth",
                            rootfs="vmdata:9001/base-9001-disk-0.raw,size=8G")},
            {"vmid": 9100, "type": "qemu", "node": n0, "status": "stopped", "config": {
                "agent": "1",
                "bios": "ovmf",
                "boot": "order=scsi0;net0",
                "cores": 2,
                "cpu": "x86-64-v2-AES",
                "efidisk0": "local-lvm:base-9100-disk-1,efitype=4m,pre-enrolled-keys=1,size=4M",
                "machine": "q35",
                "memory": "4096",
                "meta": "creation-qemu=9.2.0,ctime=1736650400",
                "name": "ubuntu-2404-template",
                "net0": "virtio=BC:24:11:7E:10:01,bridge=vmbr0,firewall=1",
                "ostype": "l26",
                "scsi0": "local-lvm:base-9100-disk-0,iothread=1,size=32G",
                "scsihw": "virtio-scsi-single",
                "smbios1": "uuid=6f1c2d9e-3b4a-4c5d-8e7f-90a1b2c3d4e5",
                "sockets": 1,
                "template": 1,
                "vmgenid": "0f6c8a43-5d1e-4b2a-9c3d-7e8f9a0b1c2d",
            }},
        ],
    }
