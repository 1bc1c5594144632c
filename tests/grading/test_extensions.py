"""Exercises of "Optional" sections are practice by default and graded only when the
manifest says so (issue 23: one setting grades an assignment's extensions too)."""

import dataclasses
import json
import os
import shutil

import nbformat
import pytest

from notebooks import ROOT, grade, source_path
from tools.assignments import by_name
from tools.check_cells import sync_check_cells

NAME = "00_introduction"
EXTENSION = "hopf_rho"


def _graded_too():
    return dataclasses.replace(by_name(NAME), grade_extensions=True)


def _check_cell(path, question):
    nb = nbformat.read(path, as_version=4)
    return next(c for c in nb.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == question + "_check")


def test_extensions_are_not_graded_by_default():
    spec = by_name(NAME)
    assert EXTENSION in spec.extensions()
    assert EXTENSION not in spec.points()
    assert EXTENSION in spec.self_checks()          # students keep its public self-check
    assert f"tests/{EXTENSION}.py" in spec.student_files()


def test_the_manifest_setting_grades_them():
    spec = _graded_too()
    assert spec.points()[EXTENSION] == 1
    assert sum(spec.points().values()) == sum(by_name(NAME).points().values()) + 1


def test_release_writes_the_check_cells_from_the_manifest(tmp_path):
    folder = tmp_path / "source" / NAME
    folder.mkdir(parents=True)
    path = str(folder / (NAME + ".ipynb"))
    shutil.copy(source_path(NAME), path)
    assert sync_check_cells(NAME, str(tmp_path)) == []          # the source is in sync
    meta = _check_cell(path, EXTENSION).metadata["nbgrader"]
    assert meta["grade"] is False and meta["locked"] and "points" not in meta
    assert sync_check_cells(NAME, str(tmp_path), spec=_graded_too()) == [EXTENSION]
    meta = _check_cell(path, EXTENSION).metadata["nbgrader"]
    assert meta["grade"] is True and meta["points"] == 1 and meta["locked"]
    assert sync_check_cells(NAME, str(tmp_path)) == [EXTENSION]  # and back
    assert "points" not in _check_cell(path, EXTENSION).metadata["nbgrader"]


def test_the_otter_zip_follows_the_setting(tmp_path, monkeypatch):
    import tools.course as course
    default = course.stage_autograder(NAME, stage_root=str(tmp_path / "default"))
    assert not os.path.exists(os.path.join(default, "tests", EXTENSION + ".py"))
    monkeypatch.setattr(course, "by_name", lambda name: _graded_too())
    stage = course.stage_autograder(NAME, stage_root=str(tmp_path / "graded"))
    assert os.path.exists(os.path.join(stage, "tests", EXTENSION + ".py"))
    with open(os.path.join(stage, "otter_config.json"), encoding="utf-8") as f:
        config = json.load(f)
    plugin = config["plugins"][0]["grading.otter_plugin.TrustedGrading"]
    assert plugin["extensions"] is True
    assert config["points_possible"] == sum(_graded_too().points().values())


@pytest.mark.slow
def test_the_grader_scores_extensions_only_when_asked():
    core, _, _ = grade(NAME, source_path(NAME), extensions=False)
    assert set(core) == set(by_name(NAME).points())
    both, results, _ = grade(NAME, source_path(NAME), extensions=True)
    assert both[EXTENSION] == results[EXTENSION]["max_score"] == 1
    assert {q: s for q, s in both.items() if q != EXTENSION} == core
