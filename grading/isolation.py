"""Who the worker runs as and what it can see: an unprivileged user, and a private
mount namespace in which, outside the system folders, only its scratch folder and the
Python installation exist."""

import os
import pwd

SYSTEM_DIRS = {"usr", "lib", "lib32", "lib64", "libx32", "bin", "sbin", "etc", "dev", "proc",
               "sys", "run", "var", "boot", "snap", "nix", "lost+found"}


def unprivileged_ids():
    """(uid, gid) of ``nobody`` when we are root (as on Gradescope), else None."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam("nobody")
    except KeyError:
        return None
    return entry.pw_uid, entry.pw_gid


def grant_traversal(path, events):
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


def hide_paths(paths):
    """In the worker (before it drops root): a private mount namespace in which each of
    ``paths`` is covered by an empty read-only tmpfs (folders) or /dev/null (files), so
    that reference code and hidden checks on this machine cannot be read even where
    their folders are world-readable.  Returns False where mount namespaces are
    unavailable."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    CLONE_NEWNS, MS_REC, MS_PRIVATE, MS_RDONLY, MS_BIND = 0x00020000, 0x4000, 1 << 18, 1, 4096
    if libc.unshare(CLONE_NEWNS) != 0:
        return False
    libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None)
    for path in paths:
        target = os.fsencode(path)
        if os.path.isdir(path):
            libc.mount(b"none", target, b"tmpfs", MS_RDONLY, b"size=4k,mode=0")
        else:
            libc.mount(b"/dev/null", target, None, MS_BIND, None)
    return True


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


def python_paths():
    """The folders of the Python installation (what a worker may import from)."""
    import sys
    import sysconfig
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix,
             os.path.dirname(os.path.realpath(sys.executable))}
    paths |= {v for k, v in sysconfig.get_paths().items() if k != "scripts"}
    return sorted(p for p in paths if p)
