"""Worker tasks, as PVE::RESTEnvironment::fork_worker runs them.

A task is a thread running a body function; the body writes log lines
(appearing as it goes), sleeps scaled by --speed, and ends in one of the
ways a real worker ends, which decides the last log line and so the
exit status (PVE::UPID::read_status):

* returns              -> "TASK OK", or "TASK WARNINGS: N" after t.warn()
* raises TaskFailed / ApiError (a die in the worker)
                       -> "TASK ERROR: <text, newlines as blanks>"
* stopped (DELETE .../tasks/UPID): the worker gets SIGTERM, which raises
  TaskInterrupted(t.signal_message) at its next sleep. The default
  message is fork_worker's "received interrupt"; bodies that install
  their own handler (clones, vzdump) say "interrupted by signal". A body
  catches it to clean up like the real code, or lets it end the task.
* hard_kill fault: SIGKILL - no cleanup and no TASK line, so the status
  reads "unexpected status" and config locks stay behind.

When the thread ends, every flock the task held is released (a process
that exits drops its flocks).
"""

import itertools
import random
import sys
import threading
import time
import traceback

from .errors import ApiError


class TaskFailed(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


class TaskInterrupted(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


class TaskKilled(BaseException):
    """SIGKILL: nothing of the body's cleanup may run."""


def read_status(lines):
    """PVE::UPID::read_status on the last log line."""
    last = lines[-1] if lines else ""
    if last == "TASK OK":
        return "OK"
    if last.startswith("TASK ERROR: "):
        return last[len("TASK ERROR: "):]
    if last.startswith("TASK WARNINGS: "):
        return last[len("TASK "):]
    return "unexpected status"


class Task:
    def __init__(self, engine, node, ttype, tid, user, body, hidden):
        self.engine = engine
        self.node = node
        self.type = ttype
        self.id = "" if tid is None else str(tid)
        self.user = user
        self.body = body
        self.hidden = hidden
        self.pid = engine.next_pid()
        self.pstart = engine.pstart_now()
        self.starttime = int(time.time())
        self.upid = "UPID:%s:%08X:%08X:%08X:%s:%s:%s:" % (node, self.pid, self.pstart, self.starttime, ttype, self.id, user)
        self.lines = []
        self.running = True
        self.exitstatus = None
        self.endtime = None
        self.warnings = 0
        self.signal_message = "received interrupt"
        self._stop = threading.Event()
        self._killed = False
        self.done = threading.Event()
        self.injected_failure = None
        self.injected_warnings = []
        self.no_such_task_polls = 0
        self.thread = None

    # --- used by task bodies -------------------------------------------------

    @property
    def cluster(self):
        return self.engine.sim.cluster

    def log(self, text):
        with self.engine.sim.cluster.lock:
            self.lines.extend(str(text).split("\n"))

    def warn(self, text):
        """log_warn: counts towards 'WARNINGS: N'."""
        self.log(f"WARN: {text}")
        self.warnings += 1

    def sleep(self, seconds):
        """Work for `seconds` (Proxmox time; scaled); a stop ends it early."""
        if self._stop.wait(self.engine.sim.clock.scale(seconds)):
            self._signalled()

    def check_signal(self):
        if self._stop.is_set():
            self._signalled()

    def _signalled(self):
        if self._killed:
            raise TaskKilled()
        self._stop.clear()  # one SIGTERM, delivered once; cleanup may sleep
        raise TaskInterrupted(self.signal_message)

    def fault_point(self):
        """Where injected warnings appear and an injected failure strikes."""
        for text in self.injected_warnings:
            self.warn(text)
        self.injected_warnings = []
        if self.injected_failure is not None:
            msg, self.injected_failure = self.injected_failure, None
            raise TaskFailed(msg)

    def progress(self, seconds, lines):
        """Spread `lines` over `seconds`, a line at a time."""
        lines = list(lines)
        if not lines:
            self.sleep(seconds)
            return
        step = seconds / len(lines)
        for line in lines:
            self.sleep(step)
            self.log(line)

    # --- stop ------------------------------------------------------------------

    def request_stop(self, hard=False):
        self._killed = self._killed or hard
        self._stop.set()

    def status_json(self):
        user, _, tokenid = self.user.partition("!")
        out = {
            "upid": self.upid,
            "node": self.node,
            "pid": self.pid,
            "pstart": self.pstart,
            "starttime": self.starttime,
            "type": self.type,
            "id": self.id,
            "user": user,
            "status": "running" if self.running else "stopped",
        }
        if tokenid:
            out["tokenid"] = tokenid  # Tasks.pm $convert_token_task
        if not self.running:
            out["exitstatus"] = self.exitstatus
        return out

    def to_json(self):
        d = self.status_json()
        d["hidden"] = self.hidden
        d["log"] = list(self.lines)
        d["endtime"] = self.endtime
        return d


class TaskEngine:
    def __init__(self, sim):
        self.sim = sim
        self.tasks = {}
        self._pids = itertools.count(random.randint(0x10000, 0x3F0000), random.randint(3, 40))
        self._boot = time.monotonic() - random.randint(100000, 5000000) / 100.0

    def next_pid(self):
        return next(self._pids)

    def pstart_now(self):
        # process start time in clock ticks since boot, as /proc reports it
        return int((time.monotonic() - self._boot) * 100)

    def start(self, node, ttype, tid, body, hidden=False):
        """fork_worker: the task is registered and running when this returns."""
        sim = self.sim
        t = Task(self, node, ttype, tid, sim.token_user, body, hidden)
        t.injected_failure = sim.faults.take_task_fail(ttype, t.id)
        t.injected_warnings = sim.faults.take_task_warnings(ttype)
        if sim.faults.take_new_task_400():
            t.no_such_task_polls = 1
        with sim.cluster.lock:
            self.tasks[t.upid] = t
        t.thread = threading.Thread(target=self._run, args=(t,), name=f"task-{ttype}-{t.id}", daemon=True)
        t.thread.start()
        return t

    def _run(self, t):
        final = None
        try:
            t.body(t)
            final = f"TASK WARNINGS: {t.warnings}" if t.warnings else "TASK OK"
        except TaskKilled:
            final = None
        except (TaskFailed, TaskInterrupted) as e:
            final = "TASK ERROR: " + _one_line(e.message)
        except ApiError as e:
            final = "TASK ERROR: " + _one_line(e.message)
        except Exception as e:  # a simulator bug: visible in the task and on stderr
            traceback.print_exc(file=sys.stderr)
            final = "TASK ERROR: simulator internal error: " + _one_line(str(e))
        finally:
            cluster = self.sim.cluster
            cluster.release_all_flocks(t.upid)
            with cluster.lock:
                if final:
                    t.lines.append(final)
                t.exitstatus = read_status(t.lines)
                t.running = False
                t.endtime = int(time.time())
                cluster.cond.notify_all()
            t.done.set()

    def get(self, upid):
        return self.tasks.get(upid)

    def stop(self, t):
        """check_worker(upid, killit): SIGTERM, up to 5 s for it to end, then SIGKILL."""
        if not t.running:
            return
        t.request_stop(hard=self.sim.faults.take_hard_kill())
        if not t.done.wait(self.sim.clock.scale(5) + 0.5):
            t.request_stop(hard=True)
            t.done.wait(2)

    def running_on(self, node):
        return [t for t in self.tasks.values() if t.running and t.node == node]

    def stop_all(self):
        for t in list(self.tasks.values()):
            if t.running:
                t.request_stop(hard=True)

    def clear(self):
        self.stop_all()
        for t in list(self.tasks.values()):
            t.done.wait(2)
        self.tasks = {}


def _one_line(text):
    # fork_worker: chomp $err; $err =~ s/\n/ /mg
    return str(text).rstrip("\n").replace("\n", " ")
