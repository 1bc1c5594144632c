"""The manifest (tools/assignments.py) and the course's files agree: an assignment missing
from it, or an entry naming what does not exist, fails here, loudly and fast."""

import os
import re
import shutil

import pytest

from notebooks import ROOT
from tools import assignments
from tools.assignments import ASSIGNMENTS, Assignment, by_name, problems


def test_manifest_and_files_agree():
    assert problems(ROOT) == []


def test_every_assignment_declares_questions_and_limits():
    from grading.sandbox import Limits
    for a in ASSIGNMENTS:
        points = a.points()
        assert points and all(isinstance(p, (int, float)) and p > 0 for p in points.values()), a.name
        Limits(**a.limits())  # only keywords the sandbox knows


def test_every_checkpoint_artefact_has_a_trainer():
    from tools import checkpoints
    assert checkpoints.SHIPPED_TO == [a.name for a in assignments.with_step("checkpoints")]
    for path in assignments.CHECKPOINTS:
        assert os.path.basename(path) in ("ctrnn.pt", "eirnn.pt"), path


def test_readme_tables_list_every_assignment():
    """The README's topic and Colab tables have one row per assignment, in order."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    names = [a.name for a in ASSIGNMENTS]
    topic = re.findall(r"^\| `(\d\d_\w+)` \| (?!\[!\[)", readme, re.M)
    colab = re.findall(r"^\| `(\d\d_\w+)` \| \[!\[Open In Colab", readme, re.M)
    assert topic == names
    assert colab == names


def test_old_dict_access_still_reads_the_manifest():
    a = by_name("04_dynamical_analysis")
    assert a["name"] == a.name and a["hidden"] == "hidden.a04_dynamical_analysis"
    assert a["public"] == ["data", "checkpoints"] and a["preload"][0] == "numpy"
    with pytest.raises(KeyError):
        a["reference"]
    with pytest.raises(KeyError, match="tools.course new"):
        by_name("99_nothing")


def _scratch(tmp_path):
    """A copy of the files the manifest check reads."""
    for folder in ("source", "hidden", "lib", os.path.join("tools", "quality")):
        shutil.copytree(os.path.join(ROOT, folder), tmp_path / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.pt", "*.npz"))
    for a in ASSIGNMENTS:   # the binary artefacts: empty stand-ins are enough here
        for art in a.artefacts:
            path = tmp_path / "source" / a.name / art.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
    return str(tmp_path)


def test_an_unlisted_notebook_or_hidden_module_fails(tmp_path):
    root = _scratch(tmp_path)
    assert problems(root) == []
    os.makedirs(os.path.join(root, "source", "06_extra"))
    open(os.path.join(root, "source", "06_extra", "06_extra.ipynb"), "w").close()
    open(os.path.join(root, "hidden", "a06_extra.py"), "w").close()
    found = "\n".join(problems(root))
    assert "source/06_extra/ has a notebook but no entry" in found
    assert "hidden/a06_extra.py belongs to no assignment" in found


def test_an_entry_naming_missing_files_fails(tmp_path, monkeypatch):
    root = _scratch(tmp_path)
    os.remove(os.path.join(root, "hidden", "a00_introduction.py"))
    ghost = Assignment("06_ghost", reference=("nowhere",),
                       artefacts=(assignments.Artefact("data/x.csv", "nonsense"),))
    monkeypatch.setattr(assignments, "ASSIGNMENTS", ASSIGNMENTS + [ghost])
    found = "\n".join(problems(root))
    assert "00_introduction: no hidden checks" in found
    assert "06_ghost: no source notebook" in found
    assert "06_ghost: reference module lib/nowhere.py" in found
    assert "unknown build step 'nonsense'" in found
    assert "06_ghost" not in "\n".join(problems(root, partial=True))  # a copy holding some
    with pytest.raises(RuntimeError, match="manifest"):
        assignments.check(root)
