"""Autograding again keeps manual grades *and* their graded state.

nbgrader 0.9.6's ``SaveAutoGrades`` flags every grade that has a manual score "needs
manual grading" on each autograde, so after ``nbgrader autograde --force`` (a fixed hidden
check, say) the formgrader lists every graded written answer as ungraded (scores kept).
The course's ``SaveAutoGradesKeepingReviews`` (nbgrader_config.py) keeps a grade a grader
settled settled when the submission is the one graded and its autograded score did not
change; a resubmission or a changed verdict is still flagged.  These tests drive the
preprocessor on a small gradebook, as ``nbgrader autograde`` does (tests/instructor/
test_semester.py runs the real command on 05's written answers)."""

import shutil

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from nbgrader.api import Gradebook
from nbgrader.preprocessors import SaveAutoGrades, SaveCells
from nbgrader.utils import compute_checksum
from traitlets.config.loader import PyFileConfigLoader

from grading.nbgrader_autograde import (FINGERPRINTS, SaveAutoGradesKeepingReviews,
                                        student_fingerprint)
from notebooks import ROOT

WRITTEN, CHECK = "written_answer", "f_check"


def _cell(make, source, **meta):
    cell = make(source)
    cell.metadata.nbgrader = dict({"grade": False, "solution": False, "locked": False,
                                   "task": False, "schema_version": 3}, **meta)
    cell.metadata.nbgrader["checksum"] = compute_checksum(cell)
    return cell


def release():
    """A written answer (4 points), an exercise and its check cell (2 points)."""
    return new_notebook(cells=[
        _cell(new_markdown_cell, "Why?", locked=True, grade_id="prompt"),
        _cell(new_markdown_cell, "YOUR ANSWER HERE", solution=True, grade=True, points=4,
              grade_id=WRITTEN),
        _cell(new_code_cell, "def f():\n    raise NotImplementedError()", solution=True, grade_id="f"),
        _cell(new_code_cell, "grader.check('f')", grade=True, locked=True, points=2, grade_id=CHECK),
    ])


def submission(answer="Because the attractor matters.", passed=True, code="def f():\n    return 1"):
    """The release as a student filled it in, its check cell as the sandboxed grader
    leaves it (no error: full points; an error: 0)."""
    nb = release()
    nb.cells[1].source, nb.cells[2].source = answer, code
    if not passed:
        nb.cells[3].outputs = [new_output("error", ename="CheckFailed", evalue="f: wrong", traceback=[])]
    return nb


def resources_of(url):
    return {"nbgrader": {"db_url": url, "assignment": "a", "notebook": "nb", "student": "ada"}}


@pytest.fixture(scope="module")
def empty_submission(tmp_path_factory):
    """A gradebook with the release recorded and Ada's submission not yet autograded
    (made once: a new gradebook costs nbgrader an ``alembic`` process)."""
    path = str(tmp_path_factory.mktemp("gradebook") / "gradebook.db")
    with Gradebook("sqlite:///" + path) as gb:
        gb.add_assignment("a")
        gb.add_student("ada")
    SaveCells().preprocess(release(), resources_of("sqlite:///" + path))  # as generate_assignment
    with Gradebook("sqlite:///" + path) as gb:
        gb.add_submission("a", "ada")
    return path


@pytest.fixture
def gradebook(empty_submission, tmp_path):
    path = shutil.copy(empty_submission, tmp_path / "gradebook.db")
    url = "sqlite:///" + str(path)
    return url, resources_of(url)


def autograde(resources, nb, preprocessor=SaveAutoGradesKeepingReviews):
    preprocessor().preprocess(nbformat.from_dict(nb), resources)


def grades(url):
    with Gradebook(url) as gb:
        sub = gb.find_submission_notebook("nb", "a", "ada")
        return {g.name: (g.auto_score, g.manual_score, g.needs_manual_grade) for g in sub.grades}


def grade_by_hand(url, scores):
    """What the formgrader's grade API does with a score typed in its box."""
    with Gradebook(url) as gb:
        for name, score in scores.items():
            grade = gb.find_grade(name, "nb", "a", "ada")
            grade.manual_score = score
            grade.needs_manual_grade = False
        gb.db.commit()


def test_the_course_configuration_uses_it():
    config = PyFileConfigLoader("nbgrader_config.py", path=ROOT).load_config()
    chain = [getattr(p, "__name__", p) for p in config.Autograde.autograde_preprocessors]
    assert "grading.nbgrader_autograde.SaveAutoGradesKeepingReviews" in chain
    assert "SaveAutoGrades" not in chain
    assert chain.index("grading.nbgrader_autograde.SaveAutoGradesKeepingReviews") > \
        chain.index("grading.nbgrader_autograde.SandboxedGrading")


def test_nbgrader_alone_flags_graded_answers_again(gradebook):
    """The behaviour being fixed (if nbgrader changes it, this test says so)."""
    url, resources = gradebook
    autograde(resources, submission(), SaveAutoGrades)
    grade_by_hand(url, {WRITTEN: 3, CHECK: 1})
    autograde(resources, submission(), SaveAutoGrades)
    assert grades(url) == {WRITTEN: (None, 3, True), CHECK: (2, 1, True)}


def test_reautograding_the_same_submission_keeps_graded_state(gradebook):
    url, resources = gradebook
    autograde(resources, submission())
    assert grades(url) == {WRITTEN: (None, None, True), CHECK: (2, None, False)}
    grade_by_hand(url, {WRITTEN: 3, CHECK: 1})   # an override of the autograded score too
    autograde(resources, submission())
    assert grades(url) == {WRITTEN: (None, 3, False), CHECK: (2, 1, False)}
    autograde(resources, submission())           # and again
    assert grades(url) == {WRITTEN: (None, 3, False), CHECK: (2, 1, False)}


def test_an_ungraded_answer_stays_flagged(gradebook):
    url, resources = gradebook
    autograde(resources, submission())
    grade_by_hand(url, {CHECK: 1})
    autograde(resources, submission())
    assert grades(url) == {WRITTEN: (None, None, True), CHECK: (2, 1, False)}


def test_a_changed_verdict_is_flagged_for_review(gradebook):
    """A fixed hidden check changes the autograded score: the grader's override of it is
    reviewed; the written answer, unchanged, stays graded."""
    url, resources = gradebook
    autograde(resources, submission())
    grade_by_hand(url, {WRITTEN: 3, CHECK: 1})
    autograde(resources, submission(passed=False))
    assert grades(url) == {WRITTEN: (None, 3, False), CHECK: (0, 1, True)}


@pytest.mark.parametrize("change", [{"answer": "A new answer."}, {"code": "def f():\n    return 2"}])
def test_a_resubmission_is_flagged_for_review(gradebook, change):
    url, resources = gradebook
    autograde(resources, submission())
    grade_by_hand(url, {WRITTEN: 3, CHECK: 1})
    autograde(resources, submission(**change))
    assert grades(url) == {WRITTEN: (None, 3, True), CHECK: (2, 1, True)}
    grade_by_hand(url, {WRITTEN: 2, CHECK: 1})    # reviewed: settled again
    autograde(resources, submission(**change))
    assert grades(url) == {WRITTEN: (None, 2, False), CHECK: (2, 1, False)}


def test_grades_settled_before_the_fingerprint_existed_are_reviewed_once(gradebook):
    url, resources = gradebook
    autograde(resources, submission(), SaveAutoGrades)
    grade_by_hand(url, {WRITTEN: 3})
    autograde(resources, submission())      # nothing recorded what was graded: review
    assert grades(url)[WRITTEN] == (None, 3, True)
    grade_by_hand(url, {WRITTEN: 3})
    autograde(resources, submission())
    assert grades(url)[WRITTEN] == (None, 3, False)


def test_the_fingerprint_is_the_students_content():
    base = student_fingerprint(submission())
    assert student_fingerprint(submission()) == base
    assert student_fingerprint(submission(answer="other")) != base
    assert student_fingerprint(submission(code="def f():\n    return 2")) != base
    added = submission()
    added.cells.append(new_code_cell("plot_my_figure()"))      # a cell the student added
    assert student_fingerprint(added) != base
    prose = submission(passed=False)                 # outputs and locked cells do not count
    prose.cells[0].source = "Why? (reworded in the source notebook)"
    assert student_fingerprint(prose) == base


def test_the_fingerprints_live_in_the_gradebook(gradebook):
    """Backed up and restored with gradebook.db; nbgrader's own tables untouched."""
    import sqlite3
    url, resources = gradebook
    autograde(resources, submission())
    db = sqlite3.connect(url[len("sqlite:///"):])
    rows = db.execute(f"SELECT fingerprint FROM {FINGERPRINTS}").fetchall()
    assert rows == [(student_fingerprint(submission()),)]
    with Gradebook(url) as gb:   # nbgrader still opens it as its own
        assert gb.find_submission("a", "ada").score == 2
