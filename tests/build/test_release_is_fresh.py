"""release/ is exactly what nbgrader generates from source/ (CI fails on a stale release)."""

import filecmp
import os
import shutil

import nbformat
import pytest

from notebooks import ROOT
from tools.assignments import available
from tools.course import generate_release

NAMES = [a["name"] for a in available(ROOT)]


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    shutil.copytree(os.path.join(ROOT, "source"), course / "source",
                    ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    shutil.copy(os.path.join(ROOT, "nbgrader_config.py"), course)
    for name in NAMES:
        generate_release(name, root=str(course))
    return course


def _files(folder):
    out = set()
    for root, _, files in os.walk(folder):
        for f in files:
            out.add(os.path.relpath(os.path.join(root, f), folder))
    return out


@pytest.mark.parametrize("name", NAMES)
def test_release_matches_a_fresh_generation(regenerated, name):
    fresh, committed = regenerated / "release" / name, os.path.join(ROOT, "release", name)
    assert _files(fresh) == _files(committed), "release/ has stale or extra files: run `make build`"
    for rel in _files(fresh):
        a, b = os.path.join(fresh, rel), os.path.join(committed, rel)
        if rel.endswith(".ipynb"):
            assert nbformat.read(a, 4) == nbformat.read(b, 4), f"{rel} is stale: run `make build`"
        elif rel.endswith(".npz"):
            import numpy as np
            with np.load(a) as x, np.load(b) as y:
                assert set(x.files) == set(y.files) and all(np.array_equal(x[k], y[k]) for k in x.files)
        else:
            assert filecmp.cmp(a, b, shallow=False), f"{rel} is stale: run `make build`"


def test_every_assignment_has_a_release():
    assert sorted(os.listdir(os.path.join(ROOT, "release"))) == sorted(NAMES)


def test_source_notebooks_are_stored_without_outputs():
    for name in NAMES:
        nb = nbformat.read(os.path.join(ROOT, "source", name, name + ".ipynb"), 4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{name}: outputs stored"


def test_task_data_is_fresh():
    import numpy as np
    from lib.task import lorenz_task
    from tools.assignments import NEEDS_TASK_DATA
    task = lorenz_task()
    for name in NEEDS_TASK_DATA:
        path = os.path.join(ROOT, "source", name, "data", "lorenz_task.npz")
        if os.path.isdir(os.path.join(ROOT, "source", name)):
            with np.load(path) as d:
                assert all(np.array_equal(d[k], task[k]) for k in task), f"{path} is stale"
