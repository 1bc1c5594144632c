"""Red team: submissions that break, hang, cheat or tamper (issue 7).

Each case is the 00 solution notebook with one attack added, graded by the sandboxed
runner with short limits.  Expected: grading finishes, every question gets a verdict,
the attack gains nothing (wrong answers stay wrong) and costs at most the exercise it
breaks; reference code never appears in a message.
"""

import time

import pytest

from notebooks import ROOT, grade, variant

pytestmark = pytest.mark.slow  # each case runs the sandbox (~5 s)

A = "00_introduction"
FAST = {"call_timeout": 4, "cell_timeout": 8, "notebook_timeout": 60}
WRONG_RHS = '''
def lorenz_rhs(state, sigma=10.0, rho=28.0, beta=8/3):
    return np.zeros_like(state)
'''
FULL = 11   # the core's 10 points and the extension hopf_rho's 1 (tests grade extensions)


def run(tmp_path, append=(), replace=None, prepend=(), **limits):
    path = variant(A, tmp_path, append=append, replace=replace, prepend=prepend)
    t0 = time.monotonic()
    scores, results, report = grade(A, path, **{**FAST, **limits})
    assert set(scores) == {"lorenz_rhs", "rk4_step", "simulate", "lorenz_fixed_points",
                           "lorenz_jacobian", "hopf_rho"}, "every question must get a verdict"
    return scores, results, report, time.monotonic() - t0


def total(scores):
    return sum(scores.values())


def test_syntax_error_costs_only_that_exercise(tmp_path):
    scores, results, _, _ = run(tmp_path, replace={"hopf_rho": "def hopf_rho(sigma=10.0, beta=8/3)\n    return 1"})
    assert scores["hopf_rho"] == 0 and total(scores) == FULL - 1
    assert "not defined" in results["hopf_rho"]["message"]


def test_renamed_function_is_reported_by_name(tmp_path):
    src = "def lorenz_rhs_v2(state, sigma=10.0, rho=28.0, beta=8/3):\n    return state"
    scores, results, _, _ = run(tmp_path, replace={"lorenz_rhs": src})
    assert scores["lorenz_rhs"] == 0 and total(scores) == FULL - 2
    assert "lorenz_rhs" in results["lorenz_rhs"]["message"] and "not defined" in results["lorenz_rhs"]["message"]


def test_exception_in_a_cell_does_not_stop_grading(tmp_path):
    scores, _, report, _ = run(tmp_path, append=["raise RuntimeError('boom')"])
    assert total(scores) == FULL
    assert any("boom" in v for v in report["notebook_cells_with_errors"].values())


@pytest.mark.parametrize("value", ["None", "'a string'", "[1, 2, 3]", "np.full(state.shape, np.nan)",
                                   "np.full(state.shape, np.inf)", "object()", "{'x': 1}"])
def test_wrong_types_and_nan_get_a_message(tmp_path, value):
    src = f"def lorenz_rhs(state, sigma=10.0, rho=28.0, beta=8/3):\n    return {value}"
    scores, results, _, _ = run(tmp_path, replace={"lorenz_rhs": src})
    assert scores["lorenz_rhs"] == 0 and total(scores) == FULL - 2
    assert len(results["lorenz_rhs"]["message"]) > 15


def test_infinite_loop_in_a_function_is_timed_out(tmp_path):
    src = "def hopf_rho(sigma=10.0, beta=8/3):\n    while True:\n        pass"
    scores, results, _, seconds = run(tmp_path, replace={"hopf_rho": src})
    assert scores["hopf_rho"] == 0 and total(scores) == FULL - 1
    assert "did not finish" in results["hopf_rho"]["message"]
    assert seconds < 60


def test_infinite_loop_at_top_level_is_skipped(tmp_path):
    scores, _, report, seconds = run(tmp_path, append=["while True:\n    pass"])
    assert total(scores) == FULL
    assert any("time limit" in e for e in report["events"])
    assert seconds < 60


def test_sys_exit_in_a_cell(tmp_path):
    scores, _, _, _ = run(tmp_path, append=["import sys\nsys.exit(0)"])
    assert total(scores) == FULL


def test_os_exit_in_a_cell_restarts_without_it(tmp_path):
    scores, _, report, _ = run(tmp_path, append=["import os\nos._exit(0)"])
    assert total(scores) == FULL
    assert report["restarts"] >= 1


def test_os_exit_inside_a_function_costs_that_exercise(tmp_path):
    src = "def hopf_rho(sigma=10.0, beta=8/3):\n    import os\n    os._exit(3)"
    scores, results, _, _ = run(tmp_path, replace={"hopf_rho": src})
    assert scores["hopf_rho"] == 0 and total(scores) == FULL - 1
    assert "process stopped" in results["hopf_rho"]["message"]


def test_killing_the_kernel_with_a_signal(tmp_path):
    scores, _, _, _ = run(tmp_path, append=["import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"])
    assert total(scores) == FULL


def test_gigantic_output_is_capped(tmp_path):
    scores, _, _, seconds = run(tmp_path, append=["for _ in range(200):\n    print('x' * 1_000_000)"])
    assert total(scores) == FULL and seconds < 60


def test_memory_bomb_is_stopped(tmp_path):
    src = ("def hopf_rho(sigma=10.0, beta=8/3):\n    blocks = []\n    while True:\n"
           "        blocks.append(np.ones(10_000_000))")
    scores, results, _, _ = run(tmp_path, replace={"hopf_rho": src}, memory_mb=700)
    assert scores["hopf_rho"] == 0 and total(scores) == FULL - 1


def test_the_worker_is_the_first_to_go_when_memory_runs_out(tmp_path):
    """On Gradescope the container's limit may strike before the grader's: the kernel
    must then kill the worker (restarted without the cell), not the grader."""
    src = ("def hopf_rho(sigma=10.0, beta=8/3):\n"
           "    adj = open('/proc/self/oom_score_adj').read().strip()\n"
           "    raise (ArithmeticError if adj == '1000' else LookupError)(adj)")
    scores, results, _, _ = run(tmp_path, replace={"hopf_rho": src})
    assert "ArithmeticError" in results["hopf_rho"]["message"]


def test_monkeypatching_numpy_torch_and_otter_gains_nothing(tmp_path):
    patch = '''
import numpy, numpy.testing, otter
numpy.allclose = lambda *a, **k: True
numpy.testing.assert_allclose = lambda *a, **k: None
numpy.array_equal = lambda *a, **k: True
otter.Notebook.check = lambda *a, **k: True
import torch, torch.testing
torch.allclose = lambda *a, **k: True
torch.testing.assert_close = lambda *a, **k: None
torch.Tensor.__eq__ = lambda self, other: torch.ones((), dtype=torch.bool)
import builtins
builtins.AssertionError = Exception
'''
    scores, _, _, _ = run(tmp_path, replace={"lorenz_rhs": WRONG_RHS}, append=[patch])
    assert scores["lorenz_rhs"] == 0 and total(scores) == FULL - 2


def test_reference_and_hidden_tests_are_unreadable(tmp_path):
    attack = f'''
import glob, os
leaks = []
for pattern in ["{ROOT}/lib/*.py", "{ROOT}/hidden/*.py", "{ROOT}/source/*/*.ipynb",
                "/autograder/source/**/*.py", "../**/dynamics.py", "/tmp/**/a00_introduction.py",
                "/home/**/hidden/*.py", "/root/**/hidden/a00_introduction.py",
                "/work/**/hidden/a00_introduction.py", "/srv/**/dynamics.py",
                "/var/**/a00_introduction.py", "/opt/**/hidden/*.py"]:
    for path in glob.glob(pattern, recursive=True):
        try:
            leaks.append(open(path).read())
        except OSError:
            pass
def lorenz_rhs(state, sigma=10.0, rho=28.0, beta=8/3):
    # the exception's type is the signal: students are told the type, not the text
    raise (LookupError if leaks else ArithmeticError)(" ".join(leaks)[:300])
'''
    scores, results, _, _ = run(tmp_path, replace={"lorenz_rhs": attack})
    assert scores["lorenz_rhs"] == 0
    assert "LookupError" not in results["lorenz_rhs"]["message"]
    assert "ArithmeticError" in results["lorenz_rhs"]["message"]


def test_importing_the_reference_fails(tmp_path):
    attack = f'''
import sys
sys.path[:0] = ["{ROOT}", "/autograder/source/files", ".."]
try:
    from lib import lorenz_rhs
except Exception:
    def lorenz_rhs(state, sigma=10.0, rho=28.0, beta=8/3):
        return state
'''
    scores, _, _, _ = run(tmp_path, replace={"lorenz_rhs": attack})
    assert scores["lorenz_rhs"] == 0


def test_stack_inspection_finds_no_expected_values(tmp_path):
    attack = '''
import inspect
def lorenz_rhs(state, sigma=10.0, rho=28.0, beta=8/3):
    for frame in inspect.stack():
        for name, value in frame.frame.f_locals.items():
            if name in ("expected", "want", "ref") and value is not None:
                return value
    return np.zeros_like(state)
'''
    scores, _, _, _ = run(tmp_path, replace={"lorenz_rhs": attack})
    assert scores["lorenz_rhs"] == 0


def test_faking_results_and_deleting_tests_gains_nothing(tmp_path):
    attack = '''
import glob, json, os
for path in glob.glob("/autograder/**/*.py", recursive=True) + glob.glob("../**/tests/*.py", recursive=True):
    try:
        os.remove(path)
    except OSError:
        pass
for target in ["/autograder/results/results.json", "../results/results.json", "results.json"]:
    try:
        with open(target, "w") as f:
            json.dump({"score": 100, "tests": []}, f)
    except OSError:
        pass
import os
fd = int(os.environ.get("GRADING_FD_OUT", "-1"))
if fd >= 0:
    import struct
    fake = json.dumps({"ok": True, "value": 1.0, "id": 1}).encode()
    try:
        os.write(fd, struct.pack(">Q", len(fake)) + fake)
    except OSError:
        pass
'''
    scores, _, _, _ = run(tmp_path, replace={"lorenz_rhs": WRONG_RHS}, append=[attack])
    assert scores["lorenz_rhs"] == 0 and total(scores) == FULL - 2


def test_messages_never_quote_grading_code(tmp_path):
    with open(f"{ROOT}/hidden/a00_introduction.py") as f:
        line = next(ln.strip() for ln in f if "expect_close(got, ref.lorenz_rhs" in ln)
    # a student's exception text is never shown, but the error of the cell that should
    # define a missing name is: it must not carry grading code either
    src = f"raise ValueError({line!r})\ndef lorenz_rhs(state, sigma=10.0, rho=28.0, beta=8/3):\n    pass"
    _, results, _, _ = run(tmp_path, replace={"lorenz_rhs": src})
    assert line not in results["lorenz_rhs"]["message"]
    assert "withheld" in results["lorenz_rhs"]["message"]


def test_grading_is_deterministic(tmp_path):
    src = "def lorenz_rhs(state, sigma=10.0, rho=28.0, beta=8/3):\n    return state * np.random.rand()"
    first = run(tmp_path, replace={"lorenz_rhs": src})[1]
    second = run(tmp_path, replace={"lorenz_rhs": src})[1]
    strip = lambda res: {q: (r["score"], r["message"]) for q, r in res.items()}
    assert strip(first) == strip(second)
