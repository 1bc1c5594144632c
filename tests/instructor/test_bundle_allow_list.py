"""Student bundles and releases hold exactly the files the manifest names: the notebook,
one public check per question, the artefacts.  A log that `nbgrader validate` leaves
(`.OTTER_LOG`), Jupyter's checkpoints and Python caches never reach students.  Done on a
scratch copy of a release folder (release/ itself stays untouched)."""

import os
import shutil
import subprocess
import zipfile

import pytest

from course_copy import env
from notebooks import ROOT
from tools.assignments import by_name
from tools.course import build_bundle, prune_release

NAME = "05_synthesis"
JUNK = (".OTTER_LOG", "__pycache__/x.cpython-311.pyc", "tests/__pycache__/comparison_table.pyc",
        ".ipynb_checkpoints/05_synthesis-checkpoint.ipynb", "data/.DS_Store", "grading.log")


def scratch_release(tmp_path, name=NAME):
    root = tmp_path / "course"
    shutil.copytree(os.path.join(ROOT, "release", name), root / "release" / name)
    return root


def add_junk(folder):
    for rel in JUNK:
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text("{'lorenz_rhs': 'log of a checked notebook'}")


def test_student_files_are_the_release():
    files = by_name(NAME).student_files()
    assert files[0] == f"{NAME}.ipynb"
    assert "tests/comparison_table.py" in files and "data/architecture_metrics.json" in files
    for rel in files:
        assert os.path.isfile(os.path.join(ROOT, "release", NAME, rel)), rel


def test_bundle_leaves_out_logs_caches_and_hidden_files(tmp_path):
    root = scratch_release(tmp_path)
    add_junk(root / "release" / NAME)
    out = build_bundle(NAME, root=str(root), out_dir=str(tmp_path / "bundles"))
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
    assert sorted(names) == sorted(by_name(NAME).student_files())
    assert not any(n.startswith(".") or "/." in n or "__pycache__" in n for n in names)
    # the same bytes as a bundle built from a clean release
    clean = build_bundle(NAME, root=ROOT, out_dir=str(tmp_path / "clean"))
    assert open(out, "rb").read() == open(clean, "rb").read()


def test_bundle_refuses_an_incomplete_release(tmp_path):
    root = scratch_release(tmp_path)
    os.remove(root / "release" / NAME / "tests" / "comparison_table.py")
    with pytest.raises(RuntimeError, match="lacks tests/comparison_table.py"):
        build_bundle(NAME, root=str(root), out_dir=str(tmp_path / "bundles"))


def test_prune_release_removes_junk_and_refuses_unlisted_files(tmp_path):
    root = scratch_release(tmp_path)
    folder = root / "release" / NAME
    add_junk(folder)
    prune_release(NAME, root=str(root))
    left = sorted(os.path.relpath(os.path.join(d, f), folder)
                  for d, _, fs in os.walk(folder) for f in fs)
    assert left == sorted(by_name(NAME).student_files())
    assert not (folder / "__pycache__").exists() and not (folder / ".ipynb_checkpoints").exists()
    (folder / "data" / "answers.csv").write_text("not in the manifest")
    with pytest.raises(RuntimeError, match="data/answers.csv"):
        prune_release(NAME, root=str(root))


@pytest.mark.slow
def test_bundle_after_nbgrader_validate(tmp_path):
    """The documented `nbgrader validate` (docs/MANUAL_GRADING.md) leaves `.OTTER_LOG`
    next to the notebook it checks; the bundle built afterwards does not carry it."""
    root = scratch_release(tmp_path)
    folder = root / "release" / NAME
    subprocess.run(["nbgrader", "validate", str(folder / f"{NAME}.ipynb")], cwd=ROOT, env=env(),
                   capture_output=True, text=True, timeout=600)
    assert (folder / ".OTTER_LOG").exists()
    out = build_bundle(NAME, root=str(root), out_dir=str(tmp_path / "bundles"))
    with zipfile.ZipFile(out) as z:
        assert sorted(z.namelist()) == sorted(by_name(NAME).student_files())
