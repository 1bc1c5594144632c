"""``otter run`` one notebook with an autograder zip and read its ``results.json``: the
one place the build (``tools/course.py``), the benchmark and ``grading.batch`` do it."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

RESULTS = "results.json"
HARNESS_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
"""The folder holding this ``grading`` package: first on Otter's ``PYTHONPATH``, so that
the plugin Otter loads is this code, never an older copy installed in the environment."""


def otter_command(zip_path, notebook, out_dir):
    """The ``otter run`` command line (Otter of this interpreter's environment)."""
    return [os.path.join(os.path.dirname(sys.executable), "otter"), "run", "-a",
            os.path.abspath(zip_path), "-o", out_dir, "--no-logo", os.path.abspath(notebook)]


def read_results(out_dir):
    """Otter's results (a dict) in ``out_dir``, or None when it wrote none."""
    path = os.path.join(out_dir, RESULTS)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def totals(results):
    """(score, max_score) summed over Otter's test entries (0, 0 without results)."""
    tests = (results or {}).get("tests", [])
    return (sum(t.get("score", 0) for t in tests), sum(t.get("max_score", 0) for t in tests))


@dataclass(frozen=True)
class OtterRun:
    """One ``otter run``: its results (None when Otter wrote none), wall seconds, exit
    status and the end of its output."""
    results: dict
    seconds: float
    returncode: int
    output: str

    @property
    def tests(self):
        return (self.results or {}).get("tests", [])

    @property
    def score(self):
        return totals(self.results)[0]

    @property
    def max_score(self):
        return totals(self.results)[1]


def otter_run(zip_path, notebook, out_dir=None, timeout=None, env=None):
    """Run ``otter run`` in ``out_dir`` (default: a temporary folder, removed after), with
    the environment ``env`` (default: this process's) and this ``grading`` package first on
    its ``PYTHONPATH``; raises ``subprocess.TimeoutExpired`` after ``timeout`` seconds."""
    own = out_dir is None
    out_dir = out_dir or tempfile.mkdtemp(prefix="otter-run-")
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (HARNESS_ROOT, env.get("PYTHONPATH")) if p)
    t0 = time.monotonic()
    try:
        proc = subprocess.run(otter_command(zip_path, notebook, out_dir), cwd=out_dir, env=env,
                              capture_output=True, text=True, timeout=timeout)
        return OtterRun(read_results(out_dir), time.monotonic() - t0, proc.returncode,
                        ((proc.stdout or "") + (proc.stderr or ""))[-4000:])
    finally:
        if own:
            shutil.rmtree(out_dir, ignore_errors=True)
