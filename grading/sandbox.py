"""Trusted side of the sandbox: start the worker, talk to it, bound its time and memory.

The worker (``worker.py``) runs the student's notebook as user ``nobody`` (when the
grader runs as root, as on Gradescope) in a fresh scratch folder holding only the
notebook and the assignment's public files.  Workers are forked from a clean image
(``forkserver.py``) that has preloaded the public packages the notebook needs.  Every request
has a time limit; a worker that hangs, exits or grows past the memory limit is killed
and started again, skipping the notebook cells that caused it, so that the remaining
questions are still graded.
"""

import os
import select
import shutil
import signal
import struct
import tempfile
import threading
import time

from . import codec
from .forkserver import ForkServer, image_env
from .isolation import grant_traversal, minimal_view, python_paths, unprivileged_ids


class WorkerError(Exception):
    """The worker could not answer (timeout, exit, memory)."""


class WorkerTimeout(WorkerError):
    pass


class WorkerDied(WorkerError):
    pass


class Limits:
    def __init__(self, cell_timeout=240.0, notebook_timeout=420.0, call_timeout=30.0,
                 memory_mb=1500, max_restarts=4, output_bytes=50_000_000):
        self.cell_timeout = cell_timeout
        self.notebook_timeout = notebook_timeout
        self.call_timeout = call_timeout
        self.memory_mb = memory_mb
        self.max_restarts = max_restarts
        self.output_bytes = output_bytes


def _rss_mb(pgid):
    """Resident memory of every process in the worker's process group, in MB."""
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[2]) != pgid:  # field 5 of stat: process group
                continue
            total += int(fields[21]) * os.sysconf("SC_PAGE_SIZE")  # field 24: rss pages
        except (OSError, IndexError, ValueError):
            continue
    return total / 2**20


class _Worker:
    """A worker process that is not our child (the fork server is its parent)."""

    def __init__(self, pid):
        self.pid = pid

    def poll(self):
        """None while it runs, else 0 (its exit status belongs to the fork server)."""
        try:
            with open(f"/proc/{self.pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return 0
        return 0 if state in ("Z", "X") else None

    def wait(self, timeout):
        deadline = time.monotonic() + timeout
        while self.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)


class Sandbox:
    """One submission's worker, restarted on demand.

    ``forkserver``: a :class:`ForkServer` made from a clean preloaded image (shared
    memory); without one the sandbox starts its own, preloading ``preload``."""

    def __init__(self, notebook, public_files=(), limits=None, forkserver=None, preload=()):
        self.notebook = os.path.abspath(notebook)
        self.public_files = [os.path.abspath(p) for p in public_files]
        self.limits = limits or Limits()
        self.ids = unprivileged_ids()
        self.isolated = self.ids is not None
        self.proc = None
        self.skip = set()
        self.cell_errors = {}
        self.restarts = -1
        self.events = []  # what happened, for the instructor's report
        if self.ids:
            import sys
            import sysconfig

            for p in {sys.executable, sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"]}:
                grant_traversal(p, self.events)
        self.peak_mb = 0.0
        self._killed_for_memory = False
        self.forkserver, self._preload, self._own_forkserver = forkserver, list(preload), False

    # ---- life cycle -------------------------------------------------------------
    def _prepare_scratch(self):
        self.scratch = tempfile.mkdtemp(prefix="grading-worker-")
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

    def start(self):
        if self.restarts >= self.limits.max_restarts:
            raise WorkerDied("the notebook had to be restarted too many times")
        self.restarts += 1
        if self.forkserver is None:
            self.forkserver, self._own_forkserver = ForkServer.spawn(self._preload), True
        self._prepare_scratch()
        tmp = os.path.join(self.scratch, "tmp")
        env = image_env({"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.scratch,
                         "TMPDIR": tmp, "MPLCONFIGDIR": tmp})
        needed = [self.scratch] + python_paths()
        spec = {"cwd": self.scratch, "notebook": "submission.ipynb", "skip": sorted(self.skip),
                "env": env, "ids": list(self.ids) if self.ids else None,
                "hide": minimal_view(needed) if self.ids else [],
                "output_bytes": self.limits.output_bytes}
        try:
            pid, self.wfd, self.rfd = self.forkserver.fork(spec)
        except OSError as e:
            shutil.rmtree(self.scratch, ignore_errors=True)
            raise WorkerDied(f"the worker could not be started ({e})") from e
        self.proc = _Worker(pid)
        self._buf = b""
        self._killed_for_memory = False
        self._watch = threading.Thread(target=self._watch_memory, args=(self.proc,), daemon=True)
        self._watch.start()
        self._run_notebook()

    def close(self):
        """Stop the worker and the fork server this sandbox started (if any)."""
        self.stop()
        if self._own_forkserver and self.forkserver is not None:
            self.forkserver.close()
            self.forkserver, self._own_forkserver = None, False

    def _watch_memory(self, proc):
        while proc.poll() is None:
            mb = _rss_mb(proc.pid)
            self.peak_mb = max(self.peak_mb, mb)
            if mb > self.limits.memory_mb:
                self._killed_for_memory = True
                self._kill(proc)
                return
            time.sleep(0.25)

    def _run_notebook(self):
        deadline = time.monotonic() + self.limits.notebook_timeout
        current = None
        while True:
            timeout = min(self.limits.cell_timeout, deadline - time.monotonic())
            try:
                msg = self._recv(max(timeout, 0.01))
            except WorkerError as e:
                if current is not None:
                    self.skip.add(current)
                    what = "memory limit" if self._killed_for_memory else (
                        "time limit" if isinstance(e, WorkerTimeout) else "process exit")
                    self.cell_errors[current] = f"stopped by the grader ({what})"
                    self.events.append(f"notebook cell {current}: {what}; skipped on restart")
                self.stop()
                if current is None:
                    raise
                return self.start()
            if msg.get("event") == "cell_start":
                current = msg["cell"]
            elif msg.get("event") == "cell_done":
                if msg.get("error"):
                    self.cell_errors[msg["cell"]] = msg["error"]
                current = None
            elif msg.get("event") == "ready":
                return

    def stop(self):
        if self.proc is not None:
            self._kill(self.proc)
            for fd in (self.wfd, self.rfd):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self.proc = None
            shutil.rmtree(self.scratch, ignore_errors=True)

    @staticmethod
    def _kill(proc):
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
    def _recv(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            if len(self._buf) >= 8:
                (n,) = struct.unpack(">Q", self._buf[:8])
                if n > 512 * 2**20:
                    raise WorkerDied("the worker sent an oversized message")
                if len(self._buf) >= 8 + n:
                    data, self._buf = self._buf[8:8 + n], self._buf[8 + n:]
                    try:
                        return codec.loads(data.decode())
                    except ValueError as e:
                        raise WorkerDied("the worker sent a malformed message") from e
            left = deadline - time.monotonic()
            if left <= 0:
                raise WorkerTimeout("time limit")
            ready, _, _ = select.select([self.rfd], [], [], min(left, 1.0))
            if ready:
                chunk = os.read(self.rfd, 1 << 20)
                if not chunk:
                    raise WorkerDied("process exit")
                self._buf += chunk

    def request(self, message, timeout=None):
        """Send one request; return the reply dict. Restarts the worker if needed."""
        if not self.alive:
            self.start()
        self._seq = getattr(self, "_seq", 0) + 1
        message = dict(message, id=self._seq)
        data = codec.dumps(message).encode()
        try:
            os.write(self.wfd, struct.pack(">Q", len(data)) + data)
            while True:
                reply = self._recv(timeout or self.limits.call_timeout)
                if reply.get("id") == self._seq:  # ignore stray frames a submission may write
                    return reply
        except (WorkerError, OSError) as e:
            died_for_memory = self._killed_for_memory
            self.stop()
            if died_for_memory:
                raise WorkerDied("memory limit") from e
            if isinstance(e, WorkerTimeout):
                raise
            raise WorkerDied("process exit") from e
