"""Every graded exercise is an nbgrader cell with the same points as its hidden question."""

import re

import pytest

from notebooks import exercise_cells, read, release_path, source_path
from notebooks import ROOT
from tools.assignments import available

SPECS = available(ROOT)


def _check_points(nb):
    out = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution") and meta.get("grade_id", "").endswith("_check"):
            out[meta["grade_id"][: -len("_check")]] = meta["points"]
    return out


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_nbgrader_and_otter_points_agree(spec):
    questions = spec.points()
    assert _check_points(read(source_path(spec.name))) == questions
    assert _check_points(read(release_path(spec.name))) == questions


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_each_question_has_a_visible_stub_in_the_release(spec):
    questions = spec.points()
    cells = exercise_cells(read(release_path(spec.name)))
    for q in questions:
        assert q in cells, f"no exercise cell with grade_id {q!r}"
        src = cells[q].source
        if not re.search(rf"^(def|class) {q}\b", src, re.M):
            # graded variables (a trained model) are assigned, not defined
            assert re.search(rf"^{q}\s*=", src, re.M) or "NotImplementedError" in src, q
        assert "NotImplementedError" in src or "YOUR CODE HERE" in src, f"{q}: no stub"
        assert "BEGIN SOLUTION" not in src


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_public_checks_exist_for_every_question(spec):
    import os
    for q in spec.points():
        assert os.path.exists(os.path.join(ROOT, "source", spec.name, "tests", q + ".py")), q
        assert os.path.exists(os.path.join(ROOT, "release", spec.name, "tests", q + ".py")), q
