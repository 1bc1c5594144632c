"""A scratch copy of the course for the instructor's commands (nbgrader, the formgrader).

The copy holds what the commands read (configuration, sources, reference, hidden
checks, grading machinery, tools) and none of the generated folders, so tests work on
a clean clone and never touch the real gradebook."""

import os
import shutil
import subprocess
import sys

from notebooks import ROOT

BIN = os.path.dirname(sys.executable)
COPIED = ("nbgrader_config.py", "pyproject.toml", "requirements.txt", "requirements-nodeps.txt",
          "requirements-autograder.txt",
          "source", "lib", "hidden", "grading", "tools")
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", ".OTTER_LOG")


def make_course(dest, names=None):
    """Copy the course into ``dest`` (only the assignments ``names`` when given)."""
    os.makedirs(dest, exist_ok=True)
    for item in COPIED:
        src = os.path.join(ROOT, item)
        if os.path.isdir(src):
            if item == "source" and names:
                for name in names:
                    shutil.copytree(os.path.join(src, name), os.path.join(dest, item, name), ignore=SKIP)
            else:
                shutil.copytree(src, os.path.join(dest, item), ignore=SKIP)
        else:
            shutil.copy(src, dest)
    return str(dest)


def env():
    e = dict(os.environ)
    e["PATH"] = BIN + os.pathsep + e.get("PATH", "")
    e.pop("PYTHONPATH", None)
    e.setdefault("MPLBACKEND", "Agg")
    e["OMP_NUM_THREADS"] = "1"
    return e


def run(cmd, course, timeout=900, check=True):
    """Run a documented command (a string, as typed in a shell) in the course folder."""
    proc = subprocess.run(cmd, shell=True, cwd=course, env=env(), capture_output=True,
                          text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{cmd!r} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def submit(course, student, name, notebook):
    """Place ``notebook`` where nbgrader expects a collected submission."""
    folder = os.path.join(course, "submitted", student, name)
    os.makedirs(folder, exist_ok=True)
    shutil.copy(notebook, os.path.join(folder, name + ".ipynb"))
