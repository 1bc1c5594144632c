"""The grading image is lean: the zip's requirements leave out the instructor's tools, and
each zip ships only the reference modules its hidden checks reach, enough to grade the
solution at full marks (every assignment through the real zips: tests/e2e)."""

import os
import shutil

import pytest

from notebooks import ROOT, public_files, source_path
from tools.assignments import ASSIGNMENTS, by_name
from tools.course import NOT_FOR_GRADING, autograder_requirements, reference_modules, stage_autograder


def test_requirements_leave_out_instructor_tools():
    reqs = autograder_requirements().lower()
    for tool in NOT_FOR_GRADING:
        assert tool not in reqs
    for needed in ("otter-grader==", "torch==", "numpy==", "norse=="):
        assert needed in reqs


def test_each_zip_ships_a_subset_of_lib(tmp_path):
    all_modules = {f[:-3] for f in os.listdir(os.path.join(ROOT, "lib"))
                   if f.endswith(".py") and f != "__init__.py"}
    assert reference_modules("00_introduction") == sorted(set(reference_modules("00_introduction")))
    assert "spiking" not in reference_modules("00_introduction")
    assert "ctrnn" in reference_modules("02_balanced_rate_network")  # lib.ei imports lib.ctrnn
    for a in ASSIGNMENTS:
        assert set(reference_modules(a["name"])) <= all_modules


@pytest.mark.parametrize("name", ["00_introduction", "04_dynamical_analysis", "05_synthesis"])
def test_staged_reference_grades_the_solution(tmp_path, name):
    from grading.launch import run_grader
    from grading.records import Job
    stage = stage_autograder(name, stage_root=str(tmp_path / "stage"))
    shipped = sorted(f[:-3] for f in os.listdir(os.path.join(stage, "lib")) if f.endswith(".py"))
    assert shipped == sorted(["__init__", *reference_modules(name)])
    private = tmp_path / "private"
    private.mkdir()
    for folder in ("lib", "hidden"):
        shutil.copytree(os.path.join(stage, folder), private / folder)
    spec = by_name(name)
    job = Job(notebook=source_path(name), hidden_module=spec.hidden, private=str(private),
              out=str(private / "verdicts.json"), public_files=tuple(public_files(name)),
              preload=tuple(spec.preload))
    questions, _ = run_grader(job, str(private))
    wrong = {q.name: q.message for q in questions if not q.passed}
    assert questions and not wrong, wrong
