"""Trusted side of the sandbox: start the worker, talk to it, bound its time and memory.

The worker (``worker.py``) runs the student's notebook as user ``nobody`` (when the
grader runs as root, as on Gradescope) in a fresh scratch folder holding only the
notebook and the assignment's public files, inside its own minimal root and PID
namespace where the kernel allows (``isolation.py``).  Workers are forked from a clean
image (``forkserver.py``) that has preloaded the public packages the notebook needs.

Before the first worker runs a line of the submission, a *preflight* worker proves the
machinery works and measures its isolation; if it cannot, grading stops with a
:class:`~grading.isolation.MachineryError` (an autograder error, never a zero).  Every
request has a limit on the worker's CPU time (with a wall-clock allowance scaled to the
CPU quota the grader detects); a worker that hangs, exits, sends anything malformed or
grows past the memory limit is killed and started again, skipping the notebook cells
that caused it, so that the remaining questions are still graded.
"""

import os
import select
import shutil
import signal
import tempfile
import threading
import time
from dataclasses import dataclass

from . import codec, outputs
from .forkserver import ForkServer, image_env
from .isolation import MachineryError, grant_traversal, scratch_base, unprivileged_ids, worker_user

WALL_FACTOR = 1.5
"""A limit of T seconds of the worker's CPU time also ends after
``T * WALL_FACTOR / cpu_share()`` seconds of wall-clock time (a worker that sleeps or
blocks uses no CPU)."""

PREFLIGHT_SECONDS = 60


def _cgroup_quota(path):
    """CPUs allowed by one cgroup folder (v2 ``cpu.max`` or v1 CFS quota), or None."""
    try:
        with open(os.path.join(path, "cpu.max")) as f:
            q, period = f.read().split()[:2]
        return None if q == "max" else int(q) / int(period)
    except (OSError, ValueError):
        pass
    try:
        with open(os.path.join(path, "cpu.cfs_quota_us")) as f:
            q = int(f.read())
        with open(os.path.join(path, "cpu.cfs_period_us")) as f:
            period = int(f.read())
        return q / period if q > 0 else None
    except (OSError, ValueError):
        return None


def cpu_share():
    """CPUs this grading may use: the tightest CPU quota of our cgroup and its parents
    (cgroup v2 ``cpu.max`` or v1 CFS quota), at most 1 (the worker runs one thread);
    1 where no quota is set."""
    folders = []
    try:
        with open("/proc/self/cgroup") as f:
            for line in f:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                if controllers == "":
                    root = "/sys/fs/cgroup"
                elif "cpu" in controllers.split(","):
                    root = "/sys/fs/cgroup/" + controllers
                    if not os.path.isdir(root):
                        root = "/sys/fs/cgroup/cpu"
                else:
                    continue
                parts = [p for p in path.split("/") if p]
                folders += [os.path.join(root, *parts[:i]) for i in range(len(parts), -1, -1)]
    except (OSError, ValueError):
        pass
    quotas = [q for q in map(_cgroup_quota, folders or ["/sys/fs/cgroup", "/sys/fs/cgroup/cpu"]) if q]
    return min([1.0] + quotas)


class WorkerError(Exception):
    """The worker could not answer (timeout, exit, memory)."""


class WorkerTimeout(WorkerError):
    pass


class WorkerDied(WorkerError):
    pass


@dataclass
class Limits:
    """What one grading allows the worker: CPU seconds per notebook cell, for the whole
    notebook and per call; resident memory (MB); restarts after a crash or a limit; bytes
    it may write to a file.  A hidden module's ``LIMITS`` dict gives the keywords."""
    cell_timeout: float = 240.0
    notebook_timeout: float = 420.0
    call_timeout: float = 30.0
    memory_mb: float = 1500
    max_restarts: int = 4
    output_bytes: int = 50_000_000


def stat_fields(pid):
    """The fields of ``/proc/<pid>/stat`` after the command name, so that field ``n`` of
    proc(5) is ``stat_fields(pid)[n - 3]`` (state, parent, process group ...)."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def _group_usage(pgid, pidns=None):
    """(resident memory in MB, CPU seconds) of the worker's processes: those of its
    PID namespace ``pidns`` (e.g. ``"pid:[4026532301]"``) when it has one, else those
    of its process group ``pgid``."""
    rss, ticks = 0, 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            fields = stat_fields(pid)
            if pidns is not None:
                if os.readlink(f"/proc/{pid}/ns/pid") != pidns:
                    continue
            elif int(fields[2]) != pgid:  # field 5 of stat: process group
                continue
            ticks += int(fields[11]) + int(fields[12])  # fields 14, 15: utime, stime
            rss += int(fields[21]) * os.sysconf("SC_PAGE_SIZE")  # field 24: rss pages
        except (OSError, IndexError, ValueError):
            continue
    return rss / 2**20, ticks / os.sysconf("SC_CLK_TCK")


def _children(ppid):
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if int(stat_fields(pid)[1]) == ppid:  # field 4 of stat: parent
                    found.append(int(pid))
            except (OSError, IndexError, ValueError):
                continue
    return found


class _Worker:
    """A worker process that is not our child (the fork server is its parent).

    With a PID namespace, ``pid`` is the process that waits outside it and ``inner``
    the worker itself (process 1 of the namespace, which dies with it), ``pidns`` the
    namespace: memory and CPU time are summed over it, and killing ``inner`` ends every
    process the submission started, whatever process group or session it made."""

    def __init__(self, pid):
        self.pid = pid
        self.inner = None
        self.pidns = None

    def find_inner(self):
        kids = _children(self.pid)
        if len(kids) == 1:
            try:
                self.pidns = os.readlink(f"/proc/{kids[0]}/ns/pid")
                self.inner = kids[0]
            except OSError:
                pass

    def usage(self):
        return _group_usage(self.pid, self.pidns)

    def poll(self):
        """None while it runs, else 0 (its exit status belongs to the fork server)."""
        try:
            state = stat_fields(self.pid)[0]
        except (OSError, IndexError):
            return 0
        return 0 if state in ("Z", "X") else None

    def wait(self, timeout):
        deadline = time.monotonic() + timeout
        while self.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)


class _Budget:
    """One request's limit: ``seconds`` of the worker's CPU time, a wall-clock
    allowance for a worker that waits instead of computing, and the grading's overall
    deadline."""

    def __init__(self, sandbox, seconds):
        self.sandbox, self.seconds = sandbox, seconds
        self.wall_end = time.monotonic() + seconds * WALL_FACTOR / sandbox.cpu_share
        if sandbox.deadline is not None:
            self.wall_end = min(self.wall_end, sandbox.deadline)
        self.cpu_start = sandbox._cpu()
        self._next_cpu_check = 0.0

    def left(self):
        """Wall-clock seconds to wait at most before checking again; raises
        :class:`WorkerTimeout` when the budget is spent.  CPU time is read at most
        every 0.2 s (a worker flooding stray frames cannot make the grader scan /proc
        for each)."""
        now = time.monotonic()
        left = self.wall_end - now
        if left <= 0:
            raise WorkerTimeout("time limit")
        if now >= self._next_cpu_check:
            self._next_cpu_check = now + 0.2
            if self.sandbox._cpu() - self.cpu_start > self.seconds:
                raise WorkerTimeout("time limit")
        return min(left, 0.25)


class Sandbox:
    """One submission's worker, restarted on demand.

    ``forkserver``: a :class:`ForkServer` made from a clean preloaded image (shared
    memory); without one the sandbox starts its own, preloading ``preload``.
    ``deadline``: a ``time.monotonic()`` no request may wait past (the grading's
    overall budget)."""

    def __init__(self, notebook, public_files=(), limits=None, forkserver=None, preload=(),
                 capture_outputs=False):
        self.notebook = os.path.abspath(notebook)
        self.public_files = [os.path.abspath(p) for p in public_files]
        self.limits = limits or Limits()
        self.ids = unprivileged_ids()  # MachineryError: root without an unprivileged user
        self.isolation = None  # measured by the preflight
        self.isolated = ("no: the grader is not root, so the submission ran as the "
                         "grader's own user") if self.ids is None else "not measured yet"
        self.proc = None
        self.skip = set()
        self.cell_errors = {}
        self.restarts = -1
        self.events = []  # what happened, for the instructor's report
        self._first_run_errors = {}
        self.base = None
        self.scratch = None
        self.deadline = None
        self.cpu_share = cpu_share()
        self.peak_mb = 0.0
        self._killed_for_memory = False
        self.forkserver, self._preload, self._own_forkserver = forkserver, list(preload), False
        # The notebook's own outputs (nbgrader's autograded notebook, grading.outputs):
        # code cell index -> outputs, kept from the first run in a private file system
        # view only (a later run could print what an earlier call was given, a worker
        # that sees the host could print the hidden checks); ``outputs_note`` says why not.
        self.capture_outputs = capture_outputs
        self.outputs, self.outputs_note, self._outputs_left = {}, "", outputs.NOTEBOOK_BYTES

    # ---- life cycle -------------------------------------------------------------
    def _prepare_scratch(self, probe=False):
        if self.base is None:
            self.base = scratch_base(self.ids)
            self.canary = os.path.join(self.base, "canary")
            with open(self.canary, "w") as f:
                f.write("a worker that can read this sees the host's folders\n")
            os.chmod(self.canary, 0o644)
        self.scratch = tempfile.mkdtemp(prefix="worker-", dir=self.base)
        self.root_mount = tempfile.mkdtemp(prefix="root-", dir=self.base)
        if not probe:
            shutil.copy(self.notebook, os.path.join(self.scratch, "submission.ipynb"))
            for path in self.public_files:
                target = os.path.join(self.scratch, os.path.basename(path))
                if os.path.isdir(path):
                    shutil.copytree(path, target, dirs_exist_ok=True)
                elif os.path.exists(path):
                    shutil.copy(path, target)
            os.makedirs(os.path.join(self.scratch, "tmp"), exist_ok=True)
            # Public checks are not run while grading, but notebooks expect the folder.
            os.makedirs(os.path.join(self.scratch, "tests"), exist_ok=True)
        if self.ids:
            for root, dirs, files in os.walk(self.scratch):
                for name in dirs + files + ["."]:
                    os.chown(os.path.join(root, name), *self.ids)
            os.chmod(self.scratch, 0o700)

    def _spec(self, probe=False):
        tmp = os.path.join(self.scratch, "tmp")
        env = image_env({"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.scratch,
                         "TMPDIR": tmp, "MPLCONFIGDIR": tmp})
        devices = {}
        for path in ("/tmp", "/var/tmp", "/dev/shm"):
            try:
                devices[path] = os.stat(path).st_dev
            except OSError:
                pass
        return {"cwd": self.scratch, "notebook": "submission.ipynb", "skip": sorted(self.skip),
                "skip_reasons": {str(k): v for k, v in self.cell_errors.items() if k in self.skip},
                "cell_errors": self._cell_error_texts(),
                "env": env, "ids": list(self.ids) if self.ids else None, "root": self.root_mount,
                "canary": self.canary, "host_devices": devices,
                "output_bytes": self.limits.output_bytes, "probe": probe,
                "capture_outputs": not probe and self._capturing()}

    def _capturing(self):
        if not self.capture_outputs or self.restarts > 0:
            return False
        if not (self.isolation and self.isolation.get("minimal_root")):
            self.outputs_note = ("the notebook's outputs were not kept: its worker had no "
                                 "private file system view, so they could show files of this machine")
            return False
        return True

    def _cell_error_texts(self):
        """Which cell errors a student may read in full (see ``worker.execute_notebook``):
        those of the notebook's first run in a private file system view (None: this is
        that run), when nothing of a call's inputs can have reached the cells yet."""
        if not (self.isolation and self.isolation.get("minimal_root")):
            return {}
        if self.restarts <= 0:
            return None
        return {str(k): v for k, v in self._first_run_errors.items()}

    def _fork(self, probe=False):
        if self.forkserver is None:
            self.forkserver, self._own_forkserver = ForkServer.spawn(self._preload), True
        self._prepare_scratch(probe)
        try:
            pid, self.wfd, self.rfd = self.forkserver.fork(self._spec(probe))
        except OSError as e:
            self._remove_scratch()
            raise MachineryError(f"the fork server could not start a worker ({e})") from e
        self.proc = _Worker(pid)
        self._head, self._body, self._got = bytearray(), None, 0
        self._killed_for_memory = False

    def preflight(self):
        """Prove, before a line of the submission runs, that the machinery works here:
        a worker starts from the fork server, becomes its unprivileged user, enters and
        writes its scratch folder, and reports the isolation it really has.  Raises
        :class:`MachineryError` naming the cause otherwise.  Returns the measured facts
        (also ``self.isolation``; ``self.isolated`` describes them)."""
        self._fork(probe=True)
        scratch = os.path.realpath(self.scratch)
        try:
            try:
                hello = self._recv(_Budget(self, PREFLIGHT_SECONDS))
            except WorkerError as e:
                raise MachineryError(f"the preflight worker stopped before reporting ({e})") from e
        finally:
            self.stop()
        facts = self._check_hello(hello)
        if self.ids and facts["uid"] in (0, None):
            raise MachineryError("the preflight worker still runs as root")
        if facts.get("cwd") != scratch or not facts.get("scratch_writable"):
            raise MachineryError("the preflight worker cannot write in its scratch folder "
                                 f"({facts.get('scratch_error', facts.get('cwd'))})")
        if facts["minimal_root"] and facts["host_visible"]:
            raise MachineryError("the worker claims a minimal root but can read a file of the "
                                 "host outside its scratch folder")
        self.isolation = {k: v for k, v in facts.items() if k != "event"}
        self.isolated = describe(self.isolation, self.ids)
        if self.ids and not (facts["minimal_root"] and facts["pid_namespace"]):
            self.events.insert(0, "WARNING: weaker isolation than designed: " + self.isolated)
        if self.ids and not facts["minimal_root"]:  # the worker imports from the host's folders
            import sys
            import sysconfig

            for p in {sys.executable, sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"]}:
                grant_traversal(p, self.events)
        return self.isolation

    def _check_hello(self, hello):
        if hello.get("event") != "hello":
            raise MachineryError("the worker did not report its isolation first")
        if hello.get("error"):
            raise MachineryError(f"the worker could not be set up: {hello['error']}")
        return hello

    def start(self):
        if self.isolation is None:
            self.preflight()
        if self.restarts >= self.limits.max_restarts:
            raise WorkerDied("the notebook had to be restarted too many times")
        self.restarts += 1
        self._fork()
        self._watch = threading.Thread(target=self._watch_memory, args=(self.proc,), daemon=True)
        self._watch.start()
        try:
            hello = self._check_hello(self._recv(_Budget(self, PREFLIGHT_SECONDS)))
        except WorkerError as e:
            self.stop()
            raise MachineryError(f"a worker stopped before reporting its isolation ({e})") from e
        if hello.get("pid_namespace"):
            self.proc.find_inner()
        same = ("uid", "mount_namespace", "pid_namespace", "minimal_root", "host_visible")
        if any(hello.get(k) != self.isolation.get(k) for k in same):
            self.stop()
            raise MachineryError("a worker's isolation differs from the preflight's: "
                                 + describe(hello, self.ids))
        self._run_notebook()

    def close(self):
        """Stop the worker and the fork server this sandbox started (if any); remove
        every scratch folder."""
        self.stop()
        if self._own_forkserver and self.forkserver is not None:
            self.forkserver.close()
            self.forkserver, self._own_forkserver = None, False
        if self.base is not None:
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None

    def _watch_memory(self, proc):
        while proc.poll() is None:
            mb = proc.usage()[0]
            self.peak_mb = max(self.peak_mb, mb)
            if mb > self.limits.memory_mb:
                self._killed_for_memory = True
                self._kill(proc)
                return
            time.sleep(0.25)

    def _cpu(self):
        return self.proc.usage()[1] if self.proc is not None else 0.0

    def _run_notebook(self):
        notebook_end = time.monotonic() + self.limits.notebook_timeout
        current = None
        while True:
            try:
                budget = _Budget(self, self.limits.cell_timeout)
                budget.wall_end = min(budget.wall_end, max(notebook_end, time.monotonic() + 0.01))
                msg = self._recv(budget)
            except WorkerError as e:
                if current is not None:
                    self.skip.add(current)
                    what = "memory limit" if self._killed_for_memory else (
                        "time limit" if isinstance(e, WorkerTimeout) else str(e))
                    self.cell_errors[current] = f"stopped by the grader ({what})"
                    self.events.append(f"notebook cell {current}: {what}; skipped on restart")
                self.stop()
                if current is None:
                    raise
                return self.start()
            if msg.get("event") == "cell_start":
                current = msg.get("cell")
            elif msg.get("event") == "cell_done":
                self._keep_outputs(msg)
                if msg.get("error") and isinstance(msg.get("cell"), int):
                    self.cell_errors[msg["cell"]] = str(msg["error"])[:400]
                    if self.restarts == 0:
                        self._first_run_errors[msg["cell"]] = str(msg["error"])[:400]
                current = None
            elif msg.get("event") == "ready":
                return

    def _keep_outputs(self, msg):
        cell = msg.get("cell")
        if ("outputs" not in msg or not isinstance(cell, int) or isinstance(cell, bool)
                or self.restarts != 0 or not self.capture_outputs):
            return
        kept = outputs.clean_outputs(msg["outputs"], max(0, min(outputs.CELL_BYTES, self._outputs_left)))
        if kept is None:
            kept = [outputs.note("this cell's outputs were malformed and not kept")]
        self._outputs_left -= sum(len(repr(o)) for o in kept)
        self.outputs[cell] = kept

    def _remove_scratch(self):
        for path in (self.scratch, getattr(self, "root_mount", None)):
            if path:
                shutil.rmtree(path, ignore_errors=True)
        self.scratch = None

    def stop(self):
        if self.proc is not None:
            self._kill(self.proc)
            for fd in (self.wfd, self.rfd):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self.proc = None
            self._remove_scratch()

    @staticmethod
    def _kill(proc):
        inner = [proc.inner] if proc.inner else _children(proc.pid)
        for pid in inner:  # the namespace's process 1 first: the whole namespace goes with it
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for kill in (os.killpg, os.kill):  # its group; itself, should it not have one yet
            try:
                kill(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        proc.wait(timeout=10)

    @property
    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    # ---- messages -----------------------------------------------------------------
    def _read_some(self):
        """Read what the pipe holds toward the current frame, never past its end (so
        nothing is ever copied twice); return the frame's bytes once complete."""
        if self._body is None:
            chunk = os.read(self.rfd, 8 - len(self._head))
            if not chunk:
                raise WorkerDied("process exit")
            self._head += chunk
            if len(self._head) < 8:
                return None
            n = int.from_bytes(self._head, "big")
            if n > codec.MAX_FRAME_BYTES:
                raise WorkerDied(f"the worker sent a message of {n / 2**20:.0f} MB, more than "
                                 f"the {codec.MAX_FRAME_BYTES // 2**20} MB allowed")
            self._body, self._got = bytearray(n), 0
        else:
            got = os.readv(self.rfd, [memoryview(self._body)[self._got:]])
            if not got:
                raise WorkerDied("process exit")
            self._got += got
        if self._got < len(self._body):
            return None
        frame, self._head, self._body = self._body, bytearray(), None
        return frame

    def _recv(self, budget):
        """The next frame from the worker as a dict, within ``budget`` (a :class:`_Budget`).
        Anything malformed is the worker's failure (:class:`WorkerDied`)."""
        while True:
            wait = budget.left()
            ready, _, _ = select.select([self.rfd], [], [], wait)
            if not ready:
                continue
            frame = self._read_some()
            if frame is None:
                continue
            try:
                return codec.parse_frame(frame)
            except codec.DecodeError as e:
                raise WorkerDied(f"the worker sent {e}") from None

    def request(self, message, timeout=None):
        """Send one request; return the reply dict. Restarts the worker if needed."""
        if not self.alive:
            self.start()
        self._seq = getattr(self, "_seq", 0) + 1
        message = dict(message, id=self._seq)
        data = codec.dumps(message).encode()
        try:
            os.write(self.wfd, len(data).to_bytes(8, "big") + data)
            budget = _Budget(self, timeout or self.limits.call_timeout)
            while True:
                reply = self._recv(budget)
                if reply.get("id") == self._seq:  # ignore stray frames a submission may write
                    return reply
        except (WorkerError, OSError) as e:
            died_for_memory = self._killed_for_memory
            self.stop()
            if died_for_memory:
                raise WorkerDied("memory limit") from e
            if isinstance(e, WorkerError):
                raise
            raise WorkerDied("process exit") from e


def describe(facts, ids):
    """The isolation a worker really had, in words, for the instructor's report."""
    if ids is None:
        return "no: the grader is not root, so the submission ran as the grader's own user"
    parts = [f"user {worker_user()} (uid {facts.get('uid')})"]
    if facts.get("minimal_root") and not facts.get("host_visible"):
        parts.append("own mount namespace with a minimal root (no host folder but system "
                     "software and its scratch folder)")
    else:
        why = facts.get("refused") or "not created"
        parts.append(f"NO private file system view ({why}): it could read the host's "
                     "world-readable files")
    private = facts.get("private_tmp") or {}
    if private and all(private.values()):
        parts.append("private " + ", ".join(sorted(private)))
    else:
        parts.append("SHARED " + (", ".join(sorted(k for k, v in private.items() if not v)) or "/tmp"))
    if facts.get("pid_namespace") and facts.get("pid") == 1:
        parts.append("own PID namespace")
    else:
        parts.append(f"NO PID namespace: it could signal other processes of user {worker_user()}")
    return "; ".join(parts)
