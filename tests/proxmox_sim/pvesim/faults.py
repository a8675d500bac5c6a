"""Faults the tests inject through the control API (POST /fault).

Each fault is consumed when it fires. Node on/offline is not kept here (it
is cluster state, handled by the simulator since it opens/closes ports).
"""

import copy
import threading

DEFAULT_500 = "can't lock file '/var/lock/pve-manager/pve-cluster.lck' - got timeout"

WARNING_TEXTS = {
    "vzclone": "unable to restore 'security.capability' xattr on /usr/bin/ping - not supported",
    "vzcreate": "Systemd 252 detected. You may need to enable nesting.",
    "vzstart": "Systemd 252 detected. You may need to enable nesting.",
    "qmclone": "cannot freeze guest filesystems - QEMU guest agent is not running",
    "qmcreate": "iothread is only valid with virtio disk or virtio-scsi-single controller, ignoring",
    "qmstart": "iothread is only valid with virtio disk or virtio-scsi-single controller, ignoring",
    "vzdump": "could not get storage information for 'nfs-backup': stale NFS file handle",
}


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self.clear()

    def clear(self):
        with self._lock:
            self.lock_timeouts = {}  # vmid -> remaining count
            self.task_fail = []  # [{type, message, vmid|None, count}]
            self.task_warnings = []  # [{type, count (warnings), times, message}]
            self.http_500 = []  # [{count, message, match}]
            self.new_task_400 = 0
            self.hard_kill = 0

    def snapshot(self):
        with self._lock:
            return {
                "lock_timeout": {str(k): v for k, v in self.lock_timeouts.items() if v > 0},
                "task_fail": copy.deepcopy(self.task_fail),
                "task_warnings": copy.deepcopy(self.task_warnings),
                "http_500_transient": copy.deepcopy(self.http_500),
                "new_task_400": self.new_task_400,
                "hard_kill": self.hard_kill,
            }

    def add(self, key, value):
        """One entry of a POST /fault body. ValueError when malformed."""
        with self._lock:
            if key == "lock_timeout":
                self.lock_timeouts[int(value["vmid"])] = self.lock_timeouts.get(int(value["vmid"]), 0) + int(value.get("count", 1))
            elif key == "task_fail":
                self.task_fail.append({
                    "type": str(value["type"]),
                    "message": str(value.get("message", "simulated failure")),
                    "vmid": None if value.get("vmid") is None else str(value["vmid"]),
                    "count": int(value.get("count", 1)),
                })
            elif key == "task_warnings":
                self.task_warnings.append({
                    "type": str(value["type"]),
                    "count": int(value.get("count", 1)),
                    "times": int(value.get("times", 1)),
                    "message": value.get("message"),
                })
            elif key == "http_500_transient":
                value = value if isinstance(value, dict) else {"count": int(value)}
                self.http_500.append({
                    "count": int(value.get("count", 1)),
                    "message": str(value.get("message", DEFAULT_500)),
                    "match": value.get("match"),
                })
            elif key == "new_task_400":
                self.new_task_400 += 1 if value is True else int(value.get("count", 1)) if isinstance(value, dict) else int(value)
            elif key == "hard_kill":
                self.hard_kill += 1 if value is True else int(value.get("count", 1)) if isinstance(value, dict) else int(value)
            else:
                raise ValueError(f"unknown fault '{key}'")

    # --- consumed by the simulator -----------------------------------------

    def take_lock_timeout(self, vmid):
        with self._lock:
            n = self.lock_timeouts.get(int(vmid), 0)
            if n <= 0:
                return False
            self.lock_timeouts[int(vmid)] = n - 1
            return True

    def take_task_fail(self, ttype, tid):
        with self._lock:
            for f in self.task_fail:
                if f["type"] == ttype and (f["vmid"] is None or f["vmid"] == str(tid)) and f["count"] > 0:
                    f["count"] -= 1
                    msg = f["message"]
                    self.task_fail = [x for x in self.task_fail if x["count"] > 0]
                    return msg
            return None

    def take_task_warnings(self, ttype):
        """-> list of warning texts (empty: none)."""
        with self._lock:
            for f in self.task_warnings:
                if f["type"] == ttype and f["times"] > 0:
                    f["times"] -= 1
                    self.task_warnings = [x for x in self.task_warnings if x["times"] > 0]
                    text = f["message"] or WARNING_TEXTS.get(ttype, "simulated warning")
                    return [text] * f["count"]
            return []

    def take_http_500(self, what):
        with self._lock:
            for f in self.http_500:
                if f["count"] > 0 and (not f["match"] or f["match"] in what):
                    f["count"] -= 1
                    self.http_500 = [x for x in self.http_500 if x["count"] > 0]
                    return f["message"]
            return None

    def take_new_task_400(self):
        with self._lock:
            if self.new_task_400 > 0:
                self.new_task_400 -= 1
                return True
            return False

    def take_hard_kill(self):
        with self._lock:
            if self.hard_kill > 0:
                self.hard_kill -= 1
                return True
            return False
