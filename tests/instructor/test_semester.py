"""An instructor's semester, end to end (issue 25), on a scratch copy of the course that is
a git repository with the course's .gitignore, for 00 (Ada's solution, Bob's one-bug
notebook) and 05 (Ada's, with written answers and a cell of her own), every step the
documented command:

build (``tools.course release`` = ``nbgrader generate_assignment``, ``bundles``,
``autograder``, with the feedback policies chosen in ``tools/course_config.py`` as the
README says: 00 "immediate", 05 "after_publish") and commit ``release/``; Gradescope's
exports kept in ``exports/`` as the downloaded ``.zip`` and as the folder unzip makes;
``grading.batch`` (00 from the zip, 05 from the folder) and ``grading.nbgrader_import``
(the other layout each); ``nbgrader autograde`` (the same scores as the batch); the
autograded notebook the formgrader shows holds the student's figure and table; 05's
written answers graded as the formgrader does (what its grade and comment handlers
write); ``nbgrader autograde --force`` keeps them graded; ``nbgrader export``;
``nbgrader generate_feedback``; ``otter run``'s ``results.json`` as a student sees it
under each policy; and ``git status`` clean: no student data in the repository.

The pieces are tested in detail elsewhere (test_export_layouts, test_nbgrader_grades,
test_graders_see_outputs, test_feedback_policy, test_student_data_ignored,
test_manual_grading_commands, test_regrade_keeps_manual_grades); this test runs them in
a semester's order.  Run with ``-s`` to see each step's seconds."""

import base64
import csv
import json
import os
import re
import shutil
import subprocess
import time
import zipfile

import nbformat
import pytest

from course_copy import make_course, run
from grading.feedback import apply_policy, student_view
from notebooks import ROOT
from test_export_layouts import zip_folder
from test_feedback_policy import DEFERRED, questions
from test_manual_grading_commands import gradescope_export, written_notebook
from test_nbgrader_grades import nbgrader_scores, one_bug
from tools.assignments import by_name

NAMES = ("00_introduction", "05_synthesis")
POLICY = {"00_introduction": "immediate", "05_synthesis": "after_publish"}
ADA, BOB = "ada@example.edu", "bob@example.edu"
WRITTEN_SCORES = {"written_accuracy_vs_dynamics": 3, "written_dale": 4, "written_choice": 2}
COMMENT = "Good use of the seeds' ranges."


# A cell Ada adds to 05 to back her written answers: a figure and a table of her own.
ADA_CELL = ("fig, ax = plt.subplots()\nax.semilogy([0.31, 0.12, 0.05], 'o-', label='my one-step errors')\n"
            "pd.DataFrame({'my VPT': [1.25, 3.5]}, index=['my CT-RNN', 'my E/I'])")


def ada_05(folder):
    """05 as Ada hands it in: the solution, her written answers, a cell of her own."""
    path = written_notebook(folder)
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(ADA_CELL))
    nbformat.write(nb, path)
    return path


def git(course, *args):
    return subprocess.run(["git", *args], cwd=course, capture_output=True, text=True,
                          check=True).stdout


class Clock:
    """Seconds per step, printed with the test's output (pytest -s, or on failure)."""

    def __init__(self):
        self.t0 = self.last = time.monotonic()

    def __call__(self, step):
        now = time.monotonic()
        print(f"[semester] {step}: {now - self.last:.1f} s (total {now - self.t0:.0f} s)", flush=True)
        self.last = now


def choose_policies(course):
    """What the README asks an instructor to do: edit tools/course_config.py."""
    path = os.path.join(course, "tools", "course_config.py")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    text, n = re.subn(r"(?m)^FEEDBACK_BY_ASSIGNMENT = \{\}$",
                      f"FEEDBACK_BY_ASSIGNMENT = {{'05_synthesis': '{POLICY['05_synthesis']}'}}", text)
    assert n == 1 and re.search(rf'(?m)^FEEDBACK = "{POLICY["00_introduction"]}"$', text)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def exports(course, tmp_path, submissions):
    """Gradescope's export of each assignment, kept in exports/ (the README's advice), in
    both layouts: ``exports/<a>.zip`` as downloaded, ``exports/<a>/`` as unzip makes it
    (submission_metadata.yml one folder down)."""
    out = {}
    for i, (name, notebooks) in enumerate(submissions.items(), 1):
        inner = f"assignment_{i}_export"
        gradescope_export(str(tmp_path / "downloads" / inner), notebooks)
        folder = os.path.join(course, "exports", name)
        shutil.copytree(tmp_path / "downloads" / inner, os.path.join(folder, inner))
        out[name] = {"zip": zip_folder(tmp_path / "downloads" / inner,
                                       os.path.join(course, "exports", name + ".zip"), inner),
                     "folder": folder}
    return out


def batch_scores(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = {r["email"]: r for r in csv.DictReader(f)}
    errors = {email: r["error"] for email, r in rows.items() if r["error"]}
    assert not errors, f"batch grading errors: {errors}"
    return {email: float(r["total"]) for email, r in rows.items()}


def grade_as_the_formgrader(course, name, student, scores, comment):
    """A grader types scores and a comment into the formgrader: what its grade and
    comment API handlers write into the gradebook."""
    from nbgrader.api import Gradebook
    with Gradebook("sqlite:///" + os.path.join(course, "gradebook.db")) as gb:
        for grade_id, score in scores.items():
            grade = gb.find_grade(grade_id, name, name, student)
            grade.manual_score = score
            grade.needs_manual_grade = False
            gb.find_comment(grade_id, name, name, student).manual_comment = comment
        gb.db.commit()


def written_grades(course, student):
    _, cells = nbgrader_scores(course, "05_synthesis", student)
    return {gid: c for gid, c in cells.items() if gid.startswith("written_")}


def check_results_under_each_policy(immediate, scores):
    """results.json as a student sees it under each policy: ``immediate`` is what the
    zip built under "immediate" wrote (Otter's own results: every score and message at
    once); a deferred policy's zip writes the plugin's ``apply_policy`` of it (one neutral
    line per question and no total until release, then the same ``scores``)."""
    before, total = student_view(immediate, released=False)
    assert total and {t["name"]: t["score"] for t in before if "max_score" in t} == scores
    for policy, (visibility, when) in DEFERRED.items():
        res = apply_policy(immediate, policy)
        before, total = student_view(res, released=False)
        assert not total and res["visibility"] == visibility
        assert {t["output"] for t in before} == {f"submitted; hidden results appear after {when}"}
        assert len(before) == len(scores)
        assert "score" not in json.dumps(before) and "passed" not in json.dumps(before).lower()
        after, total = student_view(res, released=True)
        assert total and {t["name"]: t["score"] for t in after if "max_score" in t} == scores


@pytest.mark.slow
def test_a_semester(tmp_path):
    clock = Clock()
    course = make_course(str(tmp_path / "course"), NAMES)
    shutil.copy(os.path.join(ROOT, ".gitignore"), course)
    choose_policies(course)
    git(course, "init", "-q")
    git(course, "add", ".")
    git(course, "-c", "user.name=i", "-c", "user.email=i@i", "commit", "-q", "-m", "course")

    # ---- build and release ----------------------------------------------------------------
    for step in ("release", "bundles", "autograder"):
        run(f"python -m tools.course {step}", course)
    changed = git(course, "status", "--porcelain", "--untracked-files=all").split("\n")
    assert all(line.startswith("?? release/") for line in changed if line), changed
    git(course, "add", "release")    # the README: commit release/
    git(course, "-c", "user.name=i", "-c", "user.email=i@i", "commit", "-q", "-m", "release")
    for name in NAMES:   # each zip grades under the policy chosen for it
        with zipfile.ZipFile(os.path.join(course, "autograder", name + ".zip")) as z:
            plugin = json.loads(z.read("otter_config.json"))["plugins"][0]
        assert plugin["grading.otter_plugin.TrustedGrading"]["feedback"] == POLICY[name]
    assert os.path.exists(os.path.join(course, "bundles", "05_synthesis.zip"))
    clock("build: release, bundles, autograder zips")

    # ---- the students hand in; Gradescope's exports ----------------------------------------
    trap = str(tmp_path / "TRAPPED")   # only student code run outside a sandbox makes it
    bug, bug_question = one_bug("00_introduction", str(tmp_path / "bob00"), trap)
    submissions = {
        "00_introduction": {ADA: os.path.join(course, "source", "00_introduction", "00_introduction.ipynb"),
                            BOB: bug},
        "05_synthesis": {ADA: ada_05(str(tmp_path / "ada05"))},
    }
    export = exports(course, tmp_path, submissions)

    # ---- batch-grade each export (one as the zip, one as the folder) ---------------------------
    run(f"python -m grading.batch {os.path.relpath(export['00_introduction']['zip'], course)} "
        "--autograder autograder/00_introduction.zip --jobs 2", course)
    run(f"python -m grading.batch {os.path.relpath(export['05_synthesis']['folder'], course)} "
        "--autograder autograder/05_synthesis.zip --out grades/05 --jobs 2", course)
    batch = {"00_introduction": batch_scores(os.path.join(course, "grades", "00_introduction", "gradebook.csv")),
             "05_synthesis": batch_scores(os.path.join(course, "grades", "05", "gradebook.csv"))}
    points = {n: by_name(n).points() for n in NAMES}
    full = {n: sum(p.values()) for n, p in points.items()}
    assert batch == {"00_introduction": {ADA: full["00_introduction"],
                                         BOB: full["00_introduction"] - points["00_introduction"][bug_question]},
                     "05_synthesis": {ADA: full["05_synthesis"]}}
    clock("grading.batch: 00 from the zip, 05 from the folder")

    # ---- into nbgrader (the other layout each) and autograde ----------------------------------
    run(f"python -m grading.nbgrader_import {os.path.relpath(export['00_introduction']['folder'], course)} "
        "00_introduction", course)
    run(f"python -m grading.nbgrader_import {os.path.relpath(export['05_synthesis']['zip'], course)} "
        "05_synthesis", course)
    for name in NAMES:
        run(f"nbgrader autograde {name}", course)
        for student in batch[name]:
            checks, _ = nbgrader_scores(course, name, student)
            assert sum(checks.values()) == batch[name][student], (name, student, checks)
    assert nbgrader_scores(course, "00_introduction", BOB)[0][bug_question] == 0
    assert not os.path.exists(trap), "student code ran in nbgrader's own process"
    clock("nbgrader_import and nbgrader autograde")

    # ---- the formgrader: the student's work is there; grade the written answers -------------
    # (05's own table and figure cells are tagged otter_ignore, so the grader never runs
    # them: test_skipped_cells.py.  Ada's own cell is run and shown.)
    autograded = os.path.join(course, "autograded", ADA, "05_synthesis", "05_synthesis.ipynb")
    mine = next(c for c in nbformat.read(autograded, as_version=4).cells if c.source == ADA_CELL)
    figures = [o for o in mine.outputs if "image/png" in o.get("data", {})]
    assert figures and base64.b64decode(figures[0]["data"]["image/png"]).startswith(b"\x89PNG")
    assert any("my VPT" in o.get("data", {}).get("text/plain", "") for o in mine.outputs)
    written = written_grades(course, ADA)
    assert set(written) == set(WRITTEN_SCORES) and all(needs for _, _, needs in written.values())
    grade_as_the_formgrader(course, "05_synthesis", ADA, WRITTEN_SCORES, COMMENT)

    # ---- autograde again (a fixed hidden check, say): manual grades stay graded ---------------
    run(f"nbgrader autograde 05_synthesis --force --student {ADA}", course)
    assert written_grades(course, ADA) == {g: (s, 4, False) for g, s in WRITTEN_SCORES.items()}
    again = next(c for c in nbformat.read(autograded, as_version=4).cells if c.source == ADA_CELL)
    assert again.outputs == mine.outputs         # the grader still sees the same work
    clock("formgrader's grades, nbgrader autograde --force")

    # ---- export the grades; feedback --------------------------------------------------------
    run("nbgrader export", course)
    with open(os.path.join(course, "grades.csv"), newline="") as f:
        totals = {(r["assignment"], r["student_id"]): float(r["score"]) for r in csv.DictReader(f)}
    assert totals.pop(("05_synthesis", BOB), 0) == 0   # Bob handed in no 05
    assert totals == {("00_introduction", ADA): batch["00_introduction"][ADA],
                      ("00_introduction", BOB): batch["00_introduction"][BOB],
                      ("05_synthesis", ADA): full["05_synthesis"] + sum(WRITTEN_SCORES.values())}
    run("nbgrader generate_feedback 05_synthesis", course)
    with open(os.path.join(course, "feedback", ADA, "05_synthesis", "05_synthesis.html"),
              encoding="utf-8") as f:
        html = f.read()
    assert COMMENT in html and "data:image/png;base64" in html and "comparison_table: passed" in html
    assert "my VPT" in html

    # What a student sees on Gradescope: `otter run` as the README documents it
    # (results.json into the current folder, which git ignores) on Bob's 00.  Otter
    # loads the course's plugin from the environment (`make env` installs grading/);
    # PYTHONPATH stands in for that install here, as grading.otter_run does.
    run(f"PYTHONPATH={course} otter run -a autograder/00_introduction.zip {bug}", course)
    with open(os.path.join(course, "results.json"), encoding="utf-8") as f:
        immediate = json.load(f)
    bob_scores = {q: t["score"] for q, t in questions(immediate).items()}
    assert bob_scores[bug_question] == 0 and sum(bob_scores.values()) == batch["00_introduction"][BOB]
    check_results_under_each_policy(immediate, bob_scores)
    clock("nbgrader export, generate_feedback, results.json under each policy")

    # ---- the repository holds no student data ------------------------------------------------
    assert git(course, "status", "--porcelain", "--untracked-files=all", "--ignored=no") == ""
    ignored = git(course, "status", "--porcelain", "--ignored", "--untracked-files=normal")
    for path in ("exports/", "grades/", "submitted/", "autograded/", "feedback/", "grades.csv",
                 "gradebook.db", "results.json"):
        assert f"!! {path}\n" in ignored, (path, ignored)   # written, and ignored
