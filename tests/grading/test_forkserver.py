"""Workers are forked from a clean preloaded image (``grading/forkserver.py``): they
share its memory, hold nothing of the grader's, and are isolated as before."""

import os

import nbformat
import pytest

from grading.checks import Submission
from grading.forkserver import ForkServer
from grading.sandbox import Limits, Sandbox
from notebooks import ROOT

PROBE = '''
import json as _json, os, sys
def probe():
    return {"ppid": os.getppid(), "uid": os.getuid(), "cwd": os.getcwd(),
            "path": list(sys.path), "json_preloaded": "json" in sys.modules,
            "fds": [os.readlink("/proc/self/fd/" + f) for f in os.listdir("/proc/self/fd")
                    if os.path.exists("/proc/self/fd/" + f)],
            "oom": open("/proc/self/oom_score_adj").read().strip()}
'''


@pytest.fixture()
def sandbox(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    path = tmp_path / "probe.ipynb"
    nbformat.write(nb, str(path))
    box = Sandbox(str(path), limits=Limits(call_timeout=10, cell_timeout=10, notebook_timeout=20),
                  preload=["json"])
    box.start()
    yield box
    box.close()


def _ppid(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def test_worker_is_forked_from_the_fork_server(sandbox):
    seen = Submission(sandbox).call("probe")
    if sandbox.isolation and sandbox.isolation["pid_namespace"]:
        # process 1 of its own PID namespace (no parent in sight), whose waiting
        # parent outside it is a child of the fork server
        assert seen["ppid"] == 0 and sandbox.proc.inner is not None
        assert _ppid(sandbox.proc.inner) == sandbox.proc.pid
        assert _ppid(sandbox.proc.pid) == sandbox.forkserver.pid
    else:
        assert seen["ppid"] == sandbox.forkserver.pid
    assert seen["json_preloaded"]


def test_forked_worker_is_isolated(sandbox):
    seen = Submission(sandbox).call("probe")
    assert seen["cwd"] == sandbox.scratch
    assert not any(p and os.path.realpath(p) == ROOT for p in seen["path"]), \
        "the course checkout must not be importable in the worker"
    assert seen["oom"] == "1000"
    if os.geteuid() == 0:
        assert seen["uid"] != 0
    # nothing inherited from the grader or the server: no socket, no file outside scratch
    opened = [f for f in seen["fds"] if not f.startswith(("pipe:", "/dev/null", sandbox.scratch, "/proc"))]
    assert opened == [], opened


def test_a_closed_fork_server_starts_no_worker(tmp_path):
    server = ForkServer.spawn([])
    server.close()
    with pytest.raises(OSError):
        server.fork({"cwd": str(tmp_path), "notebook": "x.ipynb", "skip": [], "env": {},
                     "ids": None, "hide": [], "output_bytes": 1000})


HERE_MODE = '''
import json, sys
secret = open(sys.argv[2], "w")  # a descriptor the grading process holds before forking
from grading.forkserver import ForkServer, preload
from grading.checks import Submission
from grading.sandbox import Limits, Sandbox
preload(["json"])
server = ForkServer.here()
box = Sandbox(sys.argv[1], limits=Limits(call_timeout=10, cell_timeout=10, notebook_timeout=20),
              forkserver=server)
box.start()
seen = Submission(box).call("probe")
box.close()
server.close()
print(json.dumps(seen))
'''


def test_worker_forked_from_the_grading_process_inherits_no_descriptor(tmp_path):
    """As the Otter plugin grades (``ForkServer.here``): the grading process's own open
    files must not reach the worker."""
    import json
    import subprocess
    import sys

    from grading.forkserver import grading_process_env
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    path = tmp_path / "probe.ipynb"
    nbformat.write(nb, str(path))
    secret = tmp_path / "held-by-the-grader.txt"
    proc = subprocess.run([sys.executable, "-c", HERE_MODE, str(path), str(secret)],
                          capture_output=True, text=True, timeout=60, env=grading_process_env())
    assert proc.returncode == 0, proc.stderr[-2000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["json_preloaded"]
    assert str(secret) not in seen["fds"] and not any(f.startswith("socket:") for f in seen["fds"])
