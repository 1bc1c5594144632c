"""The grading machinery fails loudly, never silently, and no submission can knock it
over (issue 17): scratch folders the worker can reach whatever TMPDIR is, a preflight
that stops grading with the cause, an honest isolation report, defensive and bounded
result frames, private /tmp and PID namespaces, limits on the worker's CPU time, and
the cause of a missing graded name told to the student."""

import json
import os
import subprocess
import sys
import time
import tracemalloc

import nbformat
import pytest

from grading import codec, isolation, launch, runner
from grading.checks import CheckFailed, Submission
from grading.forkserver import grading_process_env
from grading.isolation import MachineryError, python_paths
from grading.sandbox import Limits, Sandbox
from notebooks import ROOT

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="isolation needs a root grader")
FAST = Limits(call_timeout=10, cell_timeout=10, notebook_timeout=30)

PIPE = '''
import os, fcntl
def _result_pipe():
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            if (os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:")
                    and fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY):
                return fd
        except OSError:
            pass
def send_raw(payload, length=None):
    os.write(_result_pipe(), (len(payload) if length is None else length).to_bytes(8, "big") + payload)
def answer():
    return 42
'''


def notebook(tmp_path, *cells, name="nb.ipynb"):
    nb = nbformat.v4.new_notebook()
    for src in cells:
        nb.cells.append(nbformat.v4.new_code_cell(src))
    path = tmp_path / name
    nbformat.write(nb, str(path))
    return str(path)


def sandbox(path, limits=FAST):
    return Sandbox(path, limits=limits, preload=["json"])


@pytest.fixture()
def no_namespaces(monkeypatch):
    """As in a container where the kernel refuses ``unshare`` (no CAP_SYS_ADMIN)."""
    monkeypatch.setenv(isolation.SIMULATE_DENIED_ENV, "1")


@pytest.fixture()
def private_tmpdir(tmp_path, monkeypatch):
    """TMPDIR inside a folder only root may enter (e.g. /root/private-tmp)."""
    private = tmp_path / "private-tmp"
    private.mkdir(mode=0o700)
    os.chmod(tmp_path, 0o700)
    monkeypatch.setenv("TMPDIR", str(private))
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    return str(private)


# ---- fail loudly, never silently ------------------------------------------------------
@ROOT_ONLY
@pytest.mark.parametrize("namespaces", [True, False], ids=["namespaces", "unshare-denied"])
def test_private_tmpdir_still_grades(tmp_path, private_tmpdir, monkeypatch, namespaces):
    if not namespaces:
        monkeypatch.setenv(isolation.SIMULATE_DENIED_ENV, "1")
    box = sandbox(notebook(tmp_path, PIPE))
    try:
        assert Submission(box).call("answer") == 42
        assert not box.base.startswith(private_tmpdir)
    finally:
        box.close()


@ROOT_ONLY
def test_missing_worker_user_stops_grading(tmp_path, monkeypatch):
    monkeypatch.setenv(isolation.WORKER_USER_ENV, "no-such-user-here")
    with pytest.raises(MachineryError, match="no-such-user-here"):
        sandbox(notebook(tmp_path, PIPE))


@ROOT_ONLY
def test_a_worker_that_cannot_reach_its_scratch_folder_stops_grading(tmp_path, no_namespaces, monkeypatch):
    """Whatever breaks the machinery (here: a scratch folder the worker cannot enter),
    the preflight stops grading and names the cause, before any question is marked."""
    hidden = tmp_path / "root-only"
    hidden.mkdir(mode=0o700)
    os.chmod(tmp_path, 0o700)

    def unreachable(ids):
        import tempfile
        return tempfile.mkdtemp(dir=str(hidden))

    monkeypatch.setattr("grading.sandbox.scratch_base", unreachable)
    box = sandbox(notebook(tmp_path, PIPE))
    try:
        with pytest.raises(MachineryError, match="Permission denied"):
            box.start()
    finally:
        box.close()


@ROOT_ONLY
def test_unshare_denied_is_reported_honestly(tmp_path, no_namespaces):
    box = sandbox(notebook(tmp_path, PIPE))
    try:
        facts = box.preflight()
        assert facts["uid"] != 0 and not facts["minimal_root"] and not facts["pid_namespace"]
        assert facts["host_visible"] and "simulated" in facts["refused"]
        assert "NO private file system view" in box.isolated and "NO PID namespace" in box.isolated
        assert any(e.startswith("WARNING: weaker isolation") for e in box.events)
        assert Submission(box).call("answer") == 42  # still grades, as nobody
    finally:
        box.close()


@ROOT_ONLY
def test_a_minimal_root_that_cannot_be_built_is_reported_honestly(tmp_path, monkeypatch):
    monkeypatch.setenv(isolation.SIMULATE_DENIED_ENV, "root")
    box = sandbox(notebook(tmp_path, PIPE))
    try:
        facts = box.preflight()
        assert facts["mount_namespace"] and not facts["minimal_root"] and facts["host_visible"]
        assert "minimal root" in facts["refused"] and "NO private file system view" in box.isolated
        assert Submission(box).call("answer") == 42
    finally:
        box.close()
    monkeypatch.setenv(isolation.NAMESPACES_ENV, "require")
    box = sandbox(notebook(tmp_path, PIPE))
    try:
        with pytest.raises(MachineryError, match="minimal root could not be built"):
            box.preflight()
    finally:
        box.close()


@ROOT_ONLY
def test_namespaces_can_be_required(tmp_path, no_namespaces, monkeypatch):
    monkeypatch.setenv(isolation.NAMESPACES_ENV, "require")
    box = sandbox(notebook(tmp_path, PIPE))
    try:
        with pytest.raises(MachineryError, match="namespaces could not be created"):
            box.preflight()
    finally:
        box.close()


SEES = '''
import os
def sees(paths):
    return {"pid": os.getpid(), "uid": os.getuid(), "root": sorted(os.listdir("/")),
            "exists": {p: os.path.exists(p) for p in paths},
            "up": sorted(os.listdir("..")),
            "tmp": sorted(os.listdir("/tmp")), "shm": sorted(os.listdir("/dev/shm"))}
def leave(name):
    for folder in ("/tmp", "/var/tmp", "/dev/shm"):
        open(os.path.join(folder, name), "w").write("x")
'''


@ROOT_ONLY
def test_report_states_the_isolation_the_worker_really_has(tmp_path):
    box = sandbox(notebook(tmp_path, SEES))
    try:
        facts = box.preflight()
        secrets = [os.path.join(ROOT, p) for p in ("lib", "hidden", "source", "README.md")]
        seen = Submission(box).call("sees", secrets + ["/var/lib", "/home", box.canary])
        scratch = os.path.basename(box.scratch)
        scratch_top = os.path.realpath(box.scratch).split(os.sep)[1]
    finally:
        box.close()
    assert facts["minimal_root"] and facts["pid_namespace"] and facts["uid"] == seen["uid"] != 0
    assert "own mount namespace with a minimal root" in box.isolated
    assert "own PID namespace" in box.isolated and "private /dev/shm, /tmp, /var/tmp" in box.isolated
    # what the report claims holds from inside: process 1, no host folder but system software
    assert seen["pid"] == 1
    assert not any(seen["exists"].values()), seen["exists"]
    assert seen["up"] == [scratch], "other scratch folders must not exist in its view"
    # system folders, plus the top folders of the Python installation and of the scratch
    # folder, wherever this machine keeps them (/work, /check, /opt, /root, ...)
    tops = {os.path.realpath(p).split(os.sep)[1] for p in python_paths()} | {scratch_top}
    assert set(seen["root"]) <= {"bin", "sbin", "lib", "lib32", "lib64", "libx32", "usr", "etc",
                                 "dev", "proc", "sys", "tmp", "var"} | tops


@ROOT_ONLY
def test_workers_share_no_temporary_folder(tmp_path):
    one = sandbox(notebook(tmp_path, SEES, name="a.ipynb"))
    two = sandbox(notebook(tmp_path, SEES, name="b.ipynb"))
    try:
        Submission(one).call("leave", "left-by-one")
        seen = Submission(two).call("sees", ["/tmp/left-by-one", "/var/tmp/left-by-one",
                                             "/dev/shm/left-by-one"])
    finally:
        one.close()
        two.close()
    assert not any(seen["exists"].values()), seen["exists"]
    assert "left-by-one" not in seen["tmp"] + seen["shm"]
    assert not os.path.exists("/tmp/left-by-one") and not os.path.exists("/dev/shm/left-by-one")


KILLER = '''
import os, signal
def kill_them(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    try:
        os.kill(-1, signal.SIGKILL)  # everything this user may signal
    except OSError:
        pass
    return "done"
'''


@ROOT_ONLY
def test_one_submission_cannot_kill_the_worker_graded_beside_it(tmp_path):
    """As in ``grading.batch --jobs 2``: two workers of user nobody at once."""
    victim = sandbox(notebook(tmp_path, PIPE, name="victim.ipynb"))
    killer = sandbox(notebook(tmp_path, KILLER, name="killer.ipynb"))
    try:
        assert Submission(victim).call("answer") == 42
        restarts = victim.restarts
        pids = [victim.proc.pid] + ([victim.proc.inner] if victim.proc.inner else [])
        Submission(killer).call("kill_them", pids)
        time.sleep(0.3)
        assert victim.alive, "the other submission's worker was killed"
        assert Submission(victim).call("answer") == 42 and victim.restarts == restarts
    finally:
        victim.close()
        killer.close()


def test_scratch_folders_are_removed(tmp_path):
    box = sandbox(notebook(tmp_path, PIPE))
    Submission(box).call("answer")
    base = box.base
    assert os.path.isdir(base)
    box.close()
    assert not os.path.exists(base)


# ---- a grader no submission can knock over -------------------------------------------
@pytest.mark.parametrize("payload", [b"[1, 2, 3]", b"{not json", b"\xff\xfe", b"42", b"[" * 100_000])
def test_a_malformed_frame_fails_only_that_call(tmp_path, payload):
    attack = f"def attack():\n    send_raw({payload!r})\n    return 1\n"
    box = sandbox(notebook(tmp_path, PIPE, attack))
    sub = Submission(box)
    try:
        assert sub.call("answer") == 42
        with pytest.raises(CheckFailed, match="process stopped"):
            sub.call("attack")
        assert sub.call("answer") == 42  # restarted: later questions still grade
    finally:
        box.close()


def test_an_oversized_frame_is_refused_before_it_is_read(tmp_path):
    attack = "def attack():\n    send_raw(b'x' * 1000, length=45 * 2**20)\n    return 1\n"
    box = sandbox(notebook(tmp_path, PIPE, attack))
    try:
        with pytest.raises(CheckFailed, match="45 MB"):
            Submission(box).call("attack")
        assert Submission(box).call("answer") == 42
    finally:
        box.close()


def test_a_frame_of_many_small_objects_keeps_the_grader_small(tmp_path):
    """15 MB of empty objects (under the byte cap) would be ~1 GB once parsed."""
    attack = ("def attack():\n    send_raw(b'[' + b'{},' * 5_000_000 + b'{}]')\n    return 1\n")
    box = sandbox(notebook(tmp_path, PIPE, attack))
    try:
        assert Submission(box).call("answer") == 42
        tracemalloc.start()
        try:
            with pytest.raises(CheckFailed, match="values"):
                Submission(box).call("attack", timeout=20)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 64 * 2**20, f"the grading process grew by {peak / 2**20:.0f} MB"
    finally:
        box.close()


def test_frame_limits_are_well_below_the_box():
    assert codec.MAX_FRAME_BYTES <= 64 * 2**20 and codec.MAX_FRAME_VALUES <= 2_000_000
    with pytest.raises(codec.DecodeError):
        codec.parse_frame(b"[]")
    with pytest.raises(codec.DecodeError):
        codec.parse_frame(b"{" + b'"a":1,' * (codec.MAX_FRAME_VALUES + 1) + b'"b":2}')
    assert codec.parse_frame(b'{"id": 1}') == {"id": 1}


def test_a_value_too_large_to_send_fails_that_call_only(tmp_path):
    big = "import numpy as np\ndef big():\n    return np.zeros(5_000_000)\n"
    box = sandbox(notebook(tmp_path, PIPE, big))
    try:
        sub = Submission(box)
        assert sub.call("answer") == 42
        restarts = box.restarts
        with pytest.raises(CheckFailed, match="cannot be read back"):
            sub.call("big")
        assert sub.call("answer") == 42 and box.restarts == restarts  # the same worker
    finally:
        box.close()


# ---- limits that fit the box ----------------------------------------------------------
def test_limits_count_the_workers_cpu_time(tmp_path):
    src = ("import time\ndef waits():\n    time.sleep(2.4)\n    return 1\n"
           "def spins():\n    while True:\n        pass\n")
    box = sandbox(notebook(tmp_path, src), Limits(call_timeout=2, cell_timeout=10, notebook_timeout=30))
    try:
        sub = Submission(box, default_timeout=2)
        assert sub.call("waits") == 1  # 2.4 s of wall-clock time, no CPU time
        t0 = time.monotonic()
        with pytest.raises(CheckFailed, match="did not finish"):
            sub.call("spins")
        assert time.monotonic() - t0 < 2 * 1.5 + 2
    finally:
        box.close()


def test_the_wall_clock_allowance_scales_with_the_cpu_quota(tmp_path):
    src = "import time\ndef waits():\n    time.sleep(2.2)\n    return 1\n"
    box = sandbox(notebook(tmp_path, src), Limits(call_timeout=1, cell_timeout=10, notebook_timeout=30))
    box.cpu_share = 0.5  # half a CPU, as on Gradescope: 1 s of CPU may take 3 s
    try:
        assert Submission(box, default_timeout=1).call("waits") == 1
    finally:
        box.close()


@ROOT_ONLY
@pytest.mark.skipif(not os.access("/sys/fs/cgroup/cpu", os.W_OK), reason="needs a writable cgroup v1 cpu controller")
def test_the_cpu_quota_is_read_from_our_own_cgroup():
    box = f"/sys/fs/cgroup/cpu/quota-probe-{os.getpid()}"
    os.makedirs(box, exist_ok=True)
    try:
        with open(os.path.join(box, "cpu.cfs_quota_us"), "w") as f:
            f.write(str(50_000))

        def enter():
            with open(os.path.join(box, "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))
        out = subprocess.run([sys.executable, "-c", "from grading.sandbox import cpu_share; print(cpu_share())"],
                             env=dict(os.environ, PYTHONPATH=ROOT), capture_output=True, text=True,
                             timeout=120, preexec_fn=enter)
    finally:
        os.rmdir(box)
    assert float(out.stdout.strip()) == 0.5, out.stderr


def test_the_grading_budget_fits_gradescopes_timeout():
    """The README recommends Gradescope's 10-minute default; Otter itself needs ~30 s."""
    assert runner.TOTAL_SECONDS + 30 <= launch.GRADER_SECONDS
    assert launch.GRADER_SECONDS + 60 <= 600


# ---- a missing graded name says why ---------------------------------------------------
def test_missing_variable_names_the_error_of_its_cell(tmp_path):
    cells = ["class CTRNN:\n    def __init__(self, n):\n        self.n = n\n",
             "ctrnn_model = CTRNN(3, rho=0.9)\n",
             "import os\ntrained = 1\nos._exit(0)\n"]
    box = sandbox(notebook(tmp_path, *cells))
    sub = Submission(box)
    try:
        with pytest.raises(CheckFailed) as err:
            sub.get_params("ctrnn_model")
        message = str(err.value)
        assert "ctrnn_model" in message and "TypeError" in message and "rho" in message
        assert len(message) < 300
        with pytest.raises(CheckFailed) as err:
            sub.call("trained")
        assert "stopped by the grader" in str(err.value)
        with pytest.raises(CheckFailed) as err:
            sub.call("never_defined")
        assert "never_defined' is not defined" in str(err.value) and "raised" not in str(err.value)
    finally:
        box.close()


@ROOT_ONLY
def test_without_a_private_view_only_the_type_of_a_cells_error_is_told(tmp_path, no_namespaces):
    """With a shared /tmp a cell's error text could carry what an earlier call (or an
    earlier submission's worker) was given: only its type then."""
    cells = ["leaked = 'secret-' + str(12345)\nraise ValueError(leaked)\nctrnn_model = 1\n"]
    box = sandbox(notebook(tmp_path, *cells))
    try:
        with pytest.raises(CheckFailed) as err:
            Submission(box).call("ctrnn_model")
    finally:
        box.close()
    assert "ValueError" in str(err.value) and "secret" not in str(err.value)


# ---- the runner and Otter stop with the cause ----------------------------------------
def _job(tmp_path, **extra):
    job = {"notebook": os.path.join(ROOT, "release", "00_introduction", "00_introduction.ipynb"),
           "hidden_module": "hidden.a00_introduction", "private": ROOT, "public_files": [],
           "preload": [], "out": str(tmp_path / "verdicts.json"), **extra}
    path = tmp_path / "job.json"
    path.write_text(json.dumps(job))
    return str(path)


@ROOT_ONLY
def test_runner_exits_non_zero_naming_the_cause(tmp_path):
    env = dict(grading_process_env(), **{isolation.WORKER_USER_ENV: "no-such-user-here"})
    proc = subprocess.run([sys.executable, "-m", "grading.runner", _job(tmp_path)], env=env,
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == runner.MACHINERY_EXIT, proc.stderr[-2000:]
    assert "no-such-user-here" in proc.stderr
    assert not (tmp_path / "verdicts.json").exists(), "no verdict may be written"


@pytest.fixture(scope="module")
def zip_00(tmp_path_factory):
    from tools.course import build_autograder
    return build_autograder("00_introduction", out_dir=str(tmp_path_factory.mktemp("zip")))


def _otter(zip_path, nb, out, env):
    env = dict(env, PYTHONPATH=ROOT)  # this checkout's grading, not an installed copy
    return subprocess.run([os.path.join(os.path.dirname(sys.executable), "otter"), "run", "-a",
                           zip_path, "-o", str(out), "--no-logo", nb], cwd=str(out), env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.slow
@ROOT_ONLY
@pytest.mark.parametrize("namespaces", [True, False], ids=["namespaces", "unshare-denied"])
def test_otter_grades_the_solution_with_a_private_tmpdir(zip_00, tmp_path, namespaces):
    private = tmp_path / "private-tmp"
    private.mkdir(mode=0o700)
    os.chmod(tmp_path, 0o700)
    out = tmp_path / "out"
    out.mkdir()
    env = dict(os.environ, TMPDIR=str(private))
    if not namespaces:
        env[isolation.SIMULATE_DENIED_ENV] = "1"
    proc = _otter(zip_00, os.path.join(ROOT, "source", "00_introduction", "00_introduction.ipynb"),
                  out, env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((out / "results.json").read_text())
    score = sum(t.get("score", 0) for t in results["tests"])
    from tools.assignments import by_name
    core = sum(by_name("00_introduction").points().values())   # the zip grades the core
    assert score == sum(t.get("max_score", 0) for t in results["tests"]) == core
    if namespaces:
        assert "own mount namespace" in proc.stdout and "own PID namespace" in proc.stdout
    else:  # the report says what was missing
        assert "NO private file system view" in proc.stdout and "NO PID namespace" in proc.stdout
    # the private copies of lib/, hidden/ and the verdicts are gone
    assert not [p for p in os.listdir(private) if p.startswith("grading-")], os.listdir(private)


@pytest.mark.slow
@ROOT_ONLY
def test_otter_fails_loudly_when_the_machinery_cannot_work(zip_00, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    env = dict(os.environ, **{isolation.WORKER_USER_ENV: "no-such-user-here"})
    proc = _otter(zip_00, os.path.join(ROOT, "source", "00_introduction", "00_introduction.ipynb"),
                  out, env)
    assert proc.returncode != 0, "an autograder error, not a score"
    assert "no-such-user-here" in proc.stdout + proc.stderr
    if (out / "results.json").exists():
        tests = json.loads((out / "results.json").read_text())["tests"]
        assert not any(t.get("max_score") for t in tests), "no question may be marked"


@pytest.mark.slow
def test_a_malformed_frame_in_a_correct_notebook_costs_nothing(tmp_path):
    from notebooks import grade, variant
    attack = PIPE.replace("def answer():\n    return 42\n", "") + "send_raw(b'[1, 2, 3]')\n"
    path = variant("00_introduction", tmp_path, append=[attack])
    scores, results, report = grade("00_introduction", path, call_timeout=4, cell_timeout=8,
                                    notebook_timeout=60)
    assert sum(scores.values()) == sum(r["max_score"] for r in results.values()) > 0, scores
    assert any("JSON list" in e for e in report["events"]), report["events"]


# ---- the emulated Gradescope box ------------------------------------------------------
GRADESCOPE = {"cpus": 0.5, "memory_mb": 768}


class _Box:
    """A cgroup (v1) with Gradescope's CPU quota and memory limit, nested inside the
    memory cgroup this process already belongs to."""

    def __init__(self, name):
        self.cpu = f"/sys/fs/cgroup/cpu/{name}"
        self.acct = f"/sys/fs/cgroup/cpuacct/{name}"
        with open("/proc/self/cgroup") as f:
            mine = dict(line.strip().split(":", 2)[1:] for line in f)
        self.mem = "/sys/fs/cgroup/memory" + mine.get("memory", "/").rstrip("/") + "/" + name
        for path in (self.cpu, self.acct, self.mem):
            os.makedirs(path, exist_ok=True)
        period = 100_000
        self._write(self.cpu, "cpu.cfs_period_us", period)
        self._write(self.cpu, "cpu.cfs_quota_us", int(GRADESCOPE["cpus"] * period))
        self._write(self.mem, "memory.limit_in_bytes", GRADESCOPE["memory_mb"] * 2**20)
        try:
            self._write(self.mem, "memory.memsw.limit_in_bytes", GRADESCOPE["memory_mb"] * 2**20)
        except OSError:
            pass  # no swap accounting: the limit above is what counts

    @staticmethod
    def _write(folder, name, value):
        with open(os.path.join(folder, name), "w") as f:
            f.write(str(value))

    def enter(self):  # in the child, before exec
        for path in (self.cpu, self.acct, self.mem):
            self._write(path, "cgroup.procs", os.getpid())

    def usage(self):
        with open(os.path.join(self.acct, "cpuacct.usage")) as f:
            cpu = int(f.read()) / 1e9
        with open(os.path.join(self.mem, "memory.max_usage_in_bytes")) as f:
            peak = int(f.read()) / 2**20
        return cpu, peak

    def remove(self):
        for path in (self.cpu, self.acct, self.mem):
            try:
                os.rmdir(path)
            except OSError:
                pass


def _assignments():
    from tools.assignments import available
    return [a["name"] for a in available(ROOT)]


@pytest.mark.slow
@ROOT_ONLY
@pytest.mark.skipif(not os.path.isdir("/sys/fs/cgroup/cpu") or not os.access("/sys/fs/cgroup/cpu", os.W_OK),
                    reason="needs writable cgroup v1 cpu and memory controllers")
@pytest.mark.parametrize("name", _assignments())
def test_solution_full_marks_in_an_emulated_gradescope_box(name, tmp_path):
    """0.5 vCPU and 768 MB as on Gradescope's defaults: full marks inside its 10 minutes."""
    from tools.course import build_autograder
    zip_path = build_autograder(name, out_dir=str(tmp_path))
    box = _Box(f"gradescope-box-{os.getpid()}-{name}")
    out = tmp_path / "out"
    out.mkdir()
    try:
        t0 = time.monotonic()
        proc = subprocess.run(
            [os.path.join(os.path.dirname(sys.executable), "otter"), "run", "-a", zip_path, "-o",
             str(out), "--no-logo", os.path.join(ROOT, "source", name, name + ".ipynb")],
            cwd=str(out), env=dict(os.environ, PYTHONPATH=ROOT), capture_output=True, text=True,
            timeout=900, preexec_fn=box.enter)
        wall = time.monotonic() - t0
        cpu, peak = box.usage()
    finally:
        box.remove()
    print(f"\n{name}: wall {wall:.0f} s, CPU {cpu:.0f} s, peak {peak:.0f} MB (cgroup)")
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((out / "results.json").read_text())
    score = sum(t.get("score", 0) for t in results["tests"])
    assert score == sum(t.get("max_score", 0) for t in results["tests"]) > 0, proc.stdout[-3000:]
    assert wall < 600
