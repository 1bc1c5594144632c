"""Who the worker runs as and what it can see.

When the grader is root (Gradescope, CI, an instructor grading as root) every worker:

- runs as an unprivileged user (``nobody``; :data:`WORKER_USER_ENV` names another);
- gets its own mount namespace whose root is a *minimal root*: an empty tmpfs holding
  read-only views of the system software (``/usr``, ``/etc``, ``/bin``, ``/lib`` ...,
  a few device nodes, ``/sys``), of the Python installation, its own scratch folder,
  and private, empty ``/tmp``, ``/var/tmp`` and ``/dev/shm``.  Nothing else of the host
  exists there (no ``/home``, ``/root``, ``/var``, ``/work`` ...), so no copy of the
  course on the machine is readable and workers cannot pass files to each other;
- gets its own PID namespace (it is process 1 of it, with a ``/proc`` of its own), so
  it can neither see nor signal any other process, such as the worker of another
  submission graded beside it.

What was achieved is measured, never assumed (:func:`enter`), and reported: where the
kernel refuses namespaces (Docker without CAP_SYS_ADMIN) the worker still runs as
``nobody`` in a scratch folder it can reach, and the report says that the host file
system was visible.  Where the essentials fail (no unprivileged user, a scratch folder
the worker cannot reach) grading stops with a :class:`MachineryError`.
"""

import ctypes
import errno
import os
import platform
import pwd
import stat
import tempfile

WORKER_USER_ENV = "RNNCOURSE_WORKER_USER"
"""Name of the unprivileged user workers run as (default ``nobody``)."""

NAMESPACES_ENV = "RNNCOURSE_NAMESPACES"
"""``auto`` (default: use namespaces where the kernel allows, report honestly where
not), ``require`` (stop grading where they cannot be created) or ``off``."""

SIMULATE_DENIED_ENV = "RNNCOURSE_SIMULATE_UNSHARE_DENIED"
"""Tests only: ``1`` makes every ``unshare`` fail as it does in a container without
CAP_SYS_ADMIN; ``root`` lets the namespaces be created but the minimal root fail."""

SCRATCH_ENV = "RNNCOURSE_SCRATCH_DIR"
"""Folder in which the workers' scratch folders are made (default: the first of
/tmp, /var/tmp, /dev/shm that the worker's user can reach; TMPDIR is not used when
the grader is root, as it is often private to root)."""

SYSTEM_DIRS = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc")
DEVICES = ("null", "zero", "full", "random", "urandom")

CLONE_NEWNS, CLONE_NEWPID = 0x00020000, 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 0x4000, 1 << 18
MNT_DETACH = 2
_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "arm64": 41}


class MachineryError(RuntimeError):
    """The grading machinery cannot work here: grading must stop with this message
    (an autograder error for the instructor), never mark the student's answers zero."""


def worker_user():
    return os.environ.get(WORKER_USER_ENV) or "nobody"


def unprivileged_ids():
    """(uid, gid) of the worker's user when we are root, else None (not root: the
    worker runs as ourselves).  A root grader without that user cannot grade safely."""
    if os.geteuid() != 0:
        return None
    name = worker_user()
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise MachineryError(
            f"the grader runs as root but the user {name!r} that student code must run as "
            f"does not exist on this machine (create it, or name another unprivileged user "
            f"in {WORKER_USER_ENV})") from None
    if entry.pw_uid == 0 or entry.pw_gid == 0:
        raise MachineryError(f"the worker's user {name!r} is root: student code would run as root")
    return entry.pw_uid, entry.pw_gid


def namespace_mode():
    mode = (os.environ.get(NAMESPACES_ENV) or "auto").lower()
    return mode if mode in ("auto", "require", "off") else "auto"


def _reachable_by_others(path):
    """Can a user who is neither owner nor in the group traverse every folder down to
    ``path`` (and write in it, when it is sticky and world-writable)?"""
    path = os.path.realpath(path)
    parts = path.split(os.sep)
    for i in range(1, len(parts) + 1):
        p = os.sep.join(parts[:i]) or os.sep
        try:
            if not os.stat(p).st_mode & stat.S_IXOTH:
                return False
        except OSError:
            return False
    return True


def scratch_base(ids):
    """Make the folder that holds this grading's scratch folders (mode 0711: the worker
    may enter its own scratch folder, nobody may list the others) and return it.

    Not TMPDIR when we are root: a TMPDIR under /root or a per-user temp folder would
    be unreachable for the worker once it is ``nobody`` (every notebook graded zero)."""
    forced = os.environ.get(SCRATCH_ENV)
    if forced:
        candidates = [forced]
    elif ids is None:
        candidates = [tempfile.gettempdir()]
    else:
        candidates = ["/tmp", "/var/tmp", "/dev/shm"]
    tried = []
    for folder in candidates:
        if not os.path.isdir(folder) or not os.access(folder, os.W_OK | os.X_OK):
            tried.append(f"{folder} (missing or not writable)")
            continue
        if ids is not None and not _reachable_by_others(folder):
            tried.append(f"{folder} (not reachable by user {worker_user()!r})")
            continue
        base = tempfile.mkdtemp(prefix="grading-scratch-", dir=folder)
        os.chmod(base, 0o711 if ids is not None else 0o700)
        return base
    raise MachineryError("no folder for the worker's scratch files: tried " + ", ".join(tried)
                         + f"; name one its user can reach in {SCRATCH_ENV}")


def grant_traversal(path, events):
    """Without a mount namespace the unprivileged worker must reach the interpreter on
    the host: add o+x on the directories above it that lack it (e.g. /root on
    Gradescope and CI, where Python lives there).  Traversal only: nothing becomes
    listable or readable that was not."""
    path = os.path.realpath(path)
    parent = os.path.dirname(path)
    while parent and parent != "/":
        mode = os.stat(parent).st_mode
        if not mode & 0o001:
            os.chmod(parent, mode | 0o001)
            events.append(f"granted traversal (o+x) on {parent} so the worker can run Python")
        parent = os.path.dirname(parent)


def python_paths():
    """The folders of the Python installation (what a worker may import from)."""
    import sys
    import sysconfig
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix,
             os.path.dirname(os.path.realpath(sys.executable))}
    paths |= {v for k, v in sysconfig.get_paths().items() if k != "scripts"}
    return sorted(p for p in paths if p)


# ---- in the forked worker, as root -------------------------------------------------
def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _check(ret, what):
    if ret != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"{what}: {os.strerror(e)}")


def _unshare(flags):
    if os.environ.get(SIMULATE_DENIED_ENV) == "1":
        raise PermissionError(errno.EPERM, "unshare: Operation not permitted (simulated)")
    _check(_libc().unshare(flags), "unshare")


def _mount(source, target, fstype, flags, data=None):
    _check(_libc().mount(os.fsencode(source), os.fsencode(target),
                         fstype.encode() if fstype else None, flags,
                         data.encode() if data else None), f"mount {target}")


def _bind(source, target, writable=False):
    _mount(source, target, None, MS_BIND | MS_REC)
    flags = MS_BIND | MS_REMOUNT | MS_NOSUID | (0 if writable else MS_RDONLY)
    try:
        _mount("none", target, None, flags)
    except OSError:
        if not writable:  # a read-only view is the point: without it the bind stays rw
            _mount("none", target, None, MS_BIND | MS_REMOUNT | MS_RDONLY)


def enter(cwd, mountpoint):
    """Isolate the calling (forked, root) worker; return ``(achieved, child_pid)``.

    Creates a mount and a PID namespace, then forks: the child (process 1 of the new
    PID namespace) builds the minimal root and goes on as the worker, this process only
    waits for it and exits with it (see :func:`wait_and_exit`).  ``achieved`` says
    what was obtained, with the kernel's reason for anything refused; ``child_pid`` is
    None in the process that goes on as the worker.  ``mountpoint``: an empty folder on
    which the minimal root is mounted (only in the worker's namespace)."""
    achieved = {"mount_namespace": False, "pid_namespace": False, "minimal_root": False,
                "refused": None}
    mode = namespace_mode()
    if mode == "off":
        achieved["refused"] = f"namespaces switched off ({NAMESPACES_ENV}=off)"
        return achieved, None
    flags = None
    for attempt in (CLONE_NEWNS | CLONE_NEWPID, CLONE_NEWNS):
        try:
            _unshare(attempt)
            flags = attempt
            break
        except OSError as e:
            achieved["refused"] = str(e)
    if flags is None:
        if mode == "require":
            raise MachineryError(f"the worker's namespaces could not be created ({achieved['refused']})")
        return achieved, None
    achieved["mount_namespace"] = True
    pid = None
    if flags & CLONE_NEWPID:
        pid = os.fork()
        if pid:
            return achieved, pid
        achieved["pid_namespace"] = True
    achieved["refused"] = None if achieved["pid_namespace"] else achieved["refused"]
    try:
        _build_minimal_root(cwd, mountpoint, achieved["pid_namespace"])
        achieved["minimal_root"] = True
    except OSError as e:  # e.g. a root file system pivot_root cannot leave (initramfs)
        if mode == "require":
            raise MachineryError(f"the worker's minimal root could not be built ({e})") from e
        achieved["refused"] = f"minimal root: {e}"
    return achieved, None


def wait_and_exit(child):
    """The process outside the worker's PID namespace: wait for the worker, then go."""
    while True:
        try:
            _, status = os.waitpid(child, 0)
            break
        except InterruptedError:
            continue
        except ChildProcessError:
            os._exit(0)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def die_with_parent():
    """SIGKILL this process (the PID namespace's process 1, so the whole namespace)
    when the process waiting outside it dies."""
    import signal
    _libc().prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG


def _build_minimal_root(cwd, new, own_proc):
    """In a new mount namespace: a tmpfs root holding only system software (read-only),
    the Python installation (read-only), the scratch folder ``cwd`` (read-write),
    private /tmp, /var/tmp, /dev/shm and a /proc; then make it the root."""
    if os.environ.get(SIMULATE_DENIED_ENV) == "root":
        raise PermissionError(errno.EPERM, "pivot_root: Operation not permitted (simulated)")
    _mount("none", "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", new, "tmpfs", MS_NOSUID, "size=2m,mode=0755")

    def inside(path):
        return os.path.join(new, path.lstrip("/"))

    for name in SYSTEM_DIRS:
        host = "/" + name
        if os.path.islink(host):
            os.symlink(os.readlink(host), inside(host))
        elif os.path.isdir(host):
            os.mkdir(inside(host), 0o755)
            _bind(host, inside(host))
    # devices: a few nodes, private shared memory
    os.mkdir(inside("/dev"), 0o755)
    _mount("tmpfs", inside("/dev"), "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=0755")
    for name in DEVICES:
        if os.path.exists("/dev/" + name):
            open(inside("/dev/" + name), "w").close()
            _bind("/dev/" + name, inside("/dev/" + name), writable=True)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, inside("/dev/" + name))
    for tmp, size in (("/dev/shm", "64m"), ("/tmp", "128m"), ("/var/tmp", "64m")):
        os.makedirs(inside(tmp), 0o755, exist_ok=True)
        _mount("tmpfs", inside(tmp), "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=1777")
    os.mkdir(inside("/proc"), 0o555)
    if own_proc:
        _mount("proc", inside("/proc"), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    else:
        _bind("/proc", inside("/proc"), writable=True)
    if os.path.isdir("/sys"):
        os.mkdir(inside("/sys"), 0o555)
        try:
            _bind("/sys", inside("/sys"))
        except OSError:
            pass  # CPU counts then come from the defaults; nothing is lost
    # the Python installation (outer folders first) and the scratch folder
    bound = []
    for path in sorted({os.path.realpath(p) for p in python_paths() if os.path.isdir(p)}, key=len):
        if any(path == b or path.startswith(b.rstrip("/") + "/") for b in bound):
            continue
        if any(path == "/" + n or path.startswith(f"/{n}/") for n in SYSTEM_DIRS):
            continue  # already there, read-only
        os.makedirs(inside(path), 0o755, exist_ok=True)
        _bind(path, inside(path))
        bound.append(path)
    scratch = os.path.realpath(cwd)
    os.makedirs(inside(scratch), 0o755, exist_ok=True)
    _bind(scratch, inside(scratch), writable=True)
    # make it the root; the host's root is detached and gone
    os.chdir(new)
    nr = _PIVOT_ROOT.get(platform.machine())
    if nr is None:
        raise OSError(errno.ENOSYS, f"pivot_root: unknown architecture {platform.machine()}")
    _check(_libc().syscall(nr, b".", b"."), "pivot_root")
    _check(_libc().umount2(b".", MNT_DETACH), "umount old root")
    os.chdir("/")
    try:
        _mount("none", "/", None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID)
    except OSError:
        pass  # root-owned 0755 folders: the unprivileged worker cannot write there anyway
