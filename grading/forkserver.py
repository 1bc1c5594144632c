"""Fork workers from one clean, preloaded Python image, so that they share its memory.

Importing PyTorch costs about 150 MB of private memory in every process that does
it.  A grader and a worker that each import it pay twice; Gradescope gives a
submission 768 MB in all.  Here the grading process imports the public packages an
assignment needs (the *preload*: numpy, torch, ...) once, freezes the garbage
collector, and forks a *fork server* before it reads a single line of reference code
or hidden checks.  Every worker is forked from that server, so the preloaded pages
are shared copy-on-write by grader, server and workers and are paid for once.

The image is clean by construction: the server is forked (or started) before the
grader imports ``lib`` or ``hidden``, it never receives anything but fork requests,
and a forked worker closes every file descriptor it does not need, enters a private
mount namespace, limits itself and drops root before running a line of the
submission.

Protocol: one JSON request per ``SOCK_SEQPACKET`` message; the reply names the
worker's pid and carries the grader's two pipe ends (``SCM_RIGHTS``).
"""

import gc
import importlib
import json
import os
import select
import signal
import socket
import subprocess
import sys

from . import isolation, worker  # noqa: F401 - part of the image: imported before any fork

MAX_MESSAGE = 1 << 20

WORKER_NPROC = 256
"""Processes and threads the worker's user may have at once (``RLIMIT_NPROC``): plenty for
a notebook, a ceiling for a fork bomb."""

EXIT_WORKER_RETURNED = 70
"""Exit status of a forked worker whose code returned or raised instead of exiting."""

EXIT_WORKER_SETUP_FAILED = 71
"""Exit status of a worker that could not limit, isolate or measure itself (it has told
the grader why)."""


def image_env(base=None):
    """Environment of a grading image (and of its workers): one thread, deterministic
    hashing, no display.

    These are read once, when the interpreter and the preloaded libraries start, so
    they must be set before the image is created (workers inherit them)."""
    env = dict(os.environ if base is None else base)
    env.update({"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg", "TQDM_DISABLE": "1",
                "PYTHONDONTWRITEBYTECODE": "1"})
    return env


def grading_process_env():
    """:func:`image_env` for a new interpreter that must import this same ``grading``."""
    env = image_env()
    env["PYTHONPATH"] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return env


def preload(modules):
    """Import ``modules`` (public packages only) and freeze the collector, so that the
    objects they create stay shared after a fork (a collection would touch them all)."""
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a missing package: the worker imports it or fails as the notebook would
            pass
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)
    gc.collect()
    gc.freeze()


class ForkServer:
    """The grader's handle on a fork server."""

    def __init__(self, sock, pid, popen=None):
        self.sock, self.pid, self._popen = sock, pid, popen

    @classmethod
    def here(cls):
        """Fork the server from this process.  Only while the process is clean (it has
        not imported reference code or hidden checks) and has no other thread."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:  # the server
            code = 1
            try:
                ours.close()
                serve(theirs)
                code = 0
            finally:
                os._exit(code)
        theirs.close()
        return cls(ours, pid)

    @classmethod
    def spawn(cls, modules=()):
        """Start the server as a fresh interpreter that preloads ``modules`` (for a
        grader that is not itself clean, such as a test process)."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = grading_process_env()
        proc = subprocess.Popen(
            [sys.executable, "-s", "-m", "grading.forkserver", str(theirs.fileno()),
             json.dumps(list(modules))],
            pass_fds=(theirs.fileno(),), env=env, cwd="/", stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        theirs.close()
        return cls(ours, proc.pid, proc)

    def fork(self, spec):
        """Fork a worker described by ``spec`` (see :func:`_become_worker`); return
        ``(pid, fd to the worker, fd from the worker)``."""
        self.sock.sendall(json.dumps(spec).encode())
        data, fds, _, _ = socket.recv_fds(self.sock, MAX_MESSAGE, 2)
        if not data:
            raise OSError("the fork server has stopped")
        reply = json.loads(data)
        if "error" in reply or len(fds) != 2:
            for fd in fds:
                os.close(fd)
            raise OSError(reply.get("error", "the fork server sent no pipes"))
        return reply["pid"], fds[0], fds[1]

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
        try:
            if self._popen is not None:
                self._popen.wait(timeout=10)
            else:
                os.waitpid(self.pid, 0)
        except (ChildProcessError, subprocess.TimeoutExpired):
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


# ---- server side --------------------------------------------------------------------
def serve(sock):
    """Answer fork requests until the grader closes its end; reap finished workers."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    children = set()
    while True:
        _reap(children)
        ready, _, _ = select.select([sock], [], [], 0.2)
        if not ready:
            continue
        data = sock.recv(MAX_MESSAGE)
        if not data:
            break
        try:
            spec = json.loads(data)
            pid, to_worker, from_worker = _fork_worker(spec, sock)
        except Exception as e:  # noqa: BLE001 - reported to the grader
            sock.sendall(json.dumps({"error": f"{type(e).__name__}: {e}"}).encode())
            continue
        children.add(pid)
        socket.send_fds(sock, [json.dumps({"pid": pid}).encode()], [to_worker, from_worker])
        os.close(to_worker)
        os.close(from_worker)
    for pid in children:  # the grader has gone: no worker outlives it
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    _reap(children, block=True)


def _reap(children, block=False):
    for pid in list(children):
        try:
            done, _ = os.waitpid(pid, 0 if block else os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            children.discard(pid)


def _fork_worker(spec, sock):
    to_r, to_w = os.pipe()
    from_r, from_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            sock.close()
            os.close(to_w)
            os.close(from_r)
            _become_worker(spec, to_r, from_w)
        finally:
            os._exit(EXIT_WORKER_RETURNED)
    os.close(to_r)
    os.close(from_w)
    return pid, to_w, from_r


def _close_fds_except(keep):
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd > 2 and fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def _first_to_go_when_memory_runs_out():
    """Should the container run out of memory (Gradescope's limit) before the grader's
    own memory limit stops the worker, the kernel kills the worker, never the grader:
    the grader then treats it like any worker that died (skip the cell, restart)."""
    try:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")
    except OSError:
        pass


def _send(fd, obj):
    data = json.dumps(obj).encode()
    os.write(fd, len(data).to_bytes(8, "big") + data)


def _measure(spec, achieved):
    """What the worker can actually do and see, measured from inside (after dropping
    root), for the grader's preflight and report: never what was merely attempted."""
    facts = {"event": "hello", "uid": os.getuid(), "gid": os.getgid(), "pid": os.getpid(),
             "cwd": os.getcwd(), **achieved}
    try:
        probe = os.path.join(spec["cwd"], ".grading-probe")
        with open(probe, "w") as f:
            f.write("ok")
        os.remove(probe)
        facts["scratch_writable"] = True
    except OSError as e:
        facts["scratch_writable"] = False
        facts["scratch_error"] = str(e)[:200]
    canary = spec.get("canary")
    facts["host_visible"] = bool(canary) and os.path.exists(canary)
    facts["private_tmp"] = {}
    for path, dev in (spec.get("host_devices") or {}).items():
        try:
            facts["private_tmp"][path] = os.stat(path).st_dev != dev
        except OSError:
            facts["private_tmp"][path] = True  # it does not exist here: nothing shared
    return facts


def _become_worker(spec, fd_in, fd_out):
    """In the forked child: isolate, limit, drop root, report, then run the worker.

    ``spec``: ``cwd`` (scratch folder), ``notebook``, ``skip`` (cell indices),
    ``skip_reasons``, ``cell_errors`` (errors of the first run, null in the first run),
    ``env``, ``ids`` ([uid, gid] or null), ``root`` (an empty folder
    to mount the worker's minimal root on), ``canary`` and ``host_devices`` (what the
    worker must not see or share), ``output_bytes`` (largest file the worker may
    write), ``probe`` (report and exit: the grader's preflight).

    The first frame a worker sends is ``{"event": "hello", ...}``: the isolation it
    really has (see :func:`_measure`), or ``error`` when it could not be set up."""
    import resource
    import tempfile

    os.setsid()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    _close_fds_except({fd_in, fd_out})
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        _first_to_go_when_memory_runs_out()
        resource.setrlimit(resource.RLIMIT_FSIZE, (spec["output_bytes"], spec["output_bytes"]))
        achieved = {"mount_namespace": False, "pid_namespace": False, "minimal_root": False,
                    "refused": None}
        ids = spec.get("ids")
        if ids:
            achieved, child = isolation.enter(spec["cwd"], spec["root"])
            if child:  # outside the worker's PID namespace: hold nothing, wait for it
                os.close(fd_in)
                os.close(fd_out)
                isolation.wait_and_exit(child)
            hard = resource.getrlimit(resource.RLIMIT_NPROC)[1]
            cap = WORKER_NPROC if hard == resource.RLIM_INFINITY else min(WORKER_NPROC, hard)
            resource.setrlimit(resource.RLIMIT_NPROC, (cap, cap))
            os.setgroups([])
            os.setgid(ids[1])
            os.setuid(ids[0])
            if achieved["pid_namespace"]:  # after setuid, which clears it
                isolation.die_with_parent()
        os.chdir(spec["cwd"])
        facts = _measure(spec, achieved)
    except BaseException as e:  # noqa: BLE001 - the grader must learn why, then stop grading
        _send(fd_out, {"event": "hello", "error": f"{type(e).__name__}: {e}"[:500]})
        os._exit(EXIT_WORKER_SETUP_FAILED)
    _send(fd_out, facts)
    if spec.get("probe"):
        os._exit(0)
    os.umask(0o077)
    os.environ.clear()
    os.environ.update(spec["env"])
    tempfile.tempdir = None
    install = tuple(os.path.realpath(p) for p in {sys.prefix, sys.base_prefix, sys.exec_prefix})
    sys.path[:] = [spec["cwd"]] + [p for p in sys.path if p and os.path.realpath(p).startswith(install)]
    sys.argv = ["worker"]
    detail = spec.get("cell_errors")
    worker.run(spec["notebook"], set(spec["skip"]), fd_in, fd_out,
               skip_reasons={int(k): v for k, v in (spec.get("skip_reasons") or {}).items()},
               detail=None if detail is None else {int(k): v for k, v in detail.items()},
               capture_outputs=bool(spec.get("capture_outputs")))
    os._exit(0)


def main():
    """``python -m grading.forkserver FD PRELOAD_JSON`` (see :meth:`ForkServer.spawn`)."""
    fd = int(sys.argv[1])
    modules = json.loads(sys.argv[2])
    # Nothing but the installation stays importable: not the folder this ran from.
    sys.path[:] = [p for p in sys.path if p and p.startswith((sys.prefix, sys.base_prefix))]
    preload(modules)
    serve(socket.socket(fileno=fd))


if __name__ == "__main__":
    main()
