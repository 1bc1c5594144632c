"""Trusted side of the sandbox: start the worker, talk to it, bound its time and memory.

The worker (``worker.py``) runs the student's notebook as user ``nobody`` (when the
grader runs as root, as on Gradescope) in a fresh scratch folder holding only the
notebook, the assignment's public files and the public harness files.  Every request
has a time limit; a worker that hangs, exits or grows past the memory limit is killed
and started again, skipping the notebook cells that caused it, so that the remaining
questions are still graded.
"""

import json
import os
import pwd
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

from . import codec

HARNESS_FILES = ("worker.py", "codec.py", "fixtures.py")


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


def _unprivileged():
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam("nobody")
    except KeyError:
        return None
    return entry.pw_uid, entry.pw_gid


def _grant_traversal(path, events):
    """Let the unprivileged worker reach the interpreter: add o+x on the directories
    above it that lack it (e.g. /root on Gradescope and CI, where Python lives there).
    Traversal only: nothing becomes listable or readable that was not."""
    path = os.path.realpath(path)
    parent = os.path.dirname(path)
    while parent and parent != "/":
        mode = os.stat(parent).st_mode
        if not mode & 0o001:
            os.chmod(parent, mode | 0o001)
            events.append(f"granted traversal (o+x) on {parent} so the worker can run Python")
        parent = os.path.dirname(parent)


def _hide_paths(paths):
    """In the worker (before it drops root): a private mount namespace in which each of
    ``paths`` is covered by an empty read-only tmpfs, so that reference code and hidden
    checks on this machine cannot be read even where their folders are world-readable
    (an instructor's checkout).  Returns False where mount namespaces are unavailable."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    CLONE_NEWNS, MS_REC, MS_PRIVATE, MS_RDONLY = 0x00020000, 0x4000, 1 << 18, 1
    if libc.unshare(CLONE_NEWNS) != 0:
        return False
    libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None)
    MS_BIND = 4096
    for path in paths:
        target = os.fsencode(path)
        if os.path.isdir(path):
            libc.mount(b"none", target, b"tmpfs", MS_RDONLY, b"size=4k,mode=0")
        else:
            libc.mount(b"/dev/null", target, None, MS_BIND, None)
    return True


SYSTEM_DIRS = {"usr", "lib", "lib32", "lib64", "libx32", "bin", "sbin", "etc", "dev", "proc",
               "sys", "run", "var", "boot", "snap", "nix", "lost+found"}


def minimal_view(needed):
    """Paths to cover so that, outside the system folders, the worker sees only the
    ``needed`` paths (its scratch folder and the Python installation): every other entry
    of /, /home, /tmp, /root ... is hidden, walking down only along the needed paths.
    So no copy of the course on this machine (an instructor's checkout, another clone,
    an unpacked autograder) is readable, wherever it lies."""
    needed = [os.path.realpath(p) for p in needed]

    def on_path(p):
        return any(n == p or n.startswith(p.rstrip("/") + "/") for n in needed)

    def inside(p):
        return any(p == n or p.startswith(n.rstrip("/") + "/") for n in needed)

    hide, stack = [], [os.path.join("/", e) for e in sorted(os.listdir("/")) if e not in SYSTEM_DIRS]
    while stack:
        path = stack.pop()
        if os.path.islink(path) or inside(path):
            continue
        if not on_path(path):
            if os.path.isdir(path) or os.path.isfile(path):
                hide.append(path)
            continue
        try:
            stack += [os.path.join(path, e) for e in sorted(os.listdir(path))]
        except OSError:
            hide.append(path)
    return hide


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


class Sandbox:
    """One submission's worker, restarted on demand."""

    def __init__(self, notebook, public_files=(), limits=None):
        self.notebook = os.path.abspath(notebook)
        self.public_files = [os.path.abspath(p) for p in public_files]
        self.limits = limits or Limits()
        self.ids = _unprivileged()
        self.isolated = self.ids is not None
        self.proc = None
        self.skip = set()
        self.cell_errors = {}
        self.restarts = -1
        self.events = []  # what happened, for the instructor's report
        if self.ids:
            import sysconfig
            for p in {sys.executable, sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"]}:
                _grant_traversal(p, self.events)
        self.peak_mb = 0.0
        self._killed_for_memory = False

    # ---- life cycle -------------------------------------------------------------
    def _prepare_scratch(self):
        self.scratch = tempfile.mkdtemp(prefix="grading-worker-")
        harness = os.path.join(self.scratch, "_harness")
        os.makedirs(harness)
        here = os.path.dirname(os.path.abspath(__file__))
        for name in HARNESS_FILES:
            shutil.copy(os.path.join(here, name), harness)
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
        self._prepare_scratch()
        to_worker_r, to_worker_w = os.pipe()
        from_worker_r, from_worker_w = os.pipe()
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.scratch, "TMPDIR": os.path.join(self.scratch, "tmp"),
            "MPLBACKEND": "Agg", "MPLCONFIGDIR": os.path.join(self.scratch, "tmp"),
            "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0",
            "TQDM_DISABLE": "1", "PYTHONDONTWRITEBYTECODE": "1",
            "GRADING_FD_IN": str(to_worker_r), "GRADING_FD_OUT": str(from_worker_w),
        }
        limits = self.limits

        ids = self.ids
        hidden = minimal_view(self._needed_paths()) if ids else []

        def preexec():  # in the child, before exec: hide secrets, limit, drop root
            import resource
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            resource.setrlimit(resource.RLIMIT_FSIZE, (limits.output_bytes, limits.output_bytes))
            if ids:
                if hidden:
                    _hide_paths(hidden)
                hard = resource.getrlimit(resource.RLIMIT_NPROC)[1]
                cap = 256 if hard == resource.RLIM_INFINITY else min(256, hard)
                resource.setrlimit(resource.RLIMIT_NPROC, (cap, cap))
                os.setgroups([])
                os.setgid(ids[1])
                os.setuid(ids[0])

        kwargs = {}
        self.proc = subprocess.Popen(
            [sys.executable, "-s", "-E", os.path.join(self.scratch, "_harness", "worker.py"),
             "submission.ipynb", json.dumps(sorted(self.skip))],
            cwd=self.scratch, env=env, pass_fds=(to_worker_r, from_worker_w),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=preexec, **kwargs)
        os.close(to_worker_r)
        os.close(from_worker_w)
        self.wfd, self.rfd = to_worker_w, from_worker_r
        self._buf = b""
        self._killed_for_memory = False
        self._watch = threading.Thread(target=self._watch_memory, args=(self.proc,), daemon=True)
        self._watch.start()
        self._run_notebook()

    def _needed_paths(self):
        import sysconfig
        paths = {self.scratch, sys.prefix, sys.base_prefix, sys.exec_prefix,
                 os.path.dirname(os.path.realpath(sys.executable))}
        paths |= {v for k, v in sysconfig.get_paths().items() if k != "scripts"}
        return sorted(p for p in paths if p)

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
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

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
