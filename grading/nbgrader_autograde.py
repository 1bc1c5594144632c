"""``nbgrader autograde`` through the sandboxed grader, so it gives Gradescope's scores.

nbgrader's own autograde executes the submission in a kernel run by the instructor,
next to ``lib/`` and ``hidden/``, and scores each check cell by whether it raised.
Here :class:`SandboxedGrading` takes the place of nbgrader's ``Execute`` in the
``Autograde`` preprocessor chain (``nbgrader_config.py``): it grades the sanitized
notebook with the same process the Otter plugin starts (``python -m grading.runner``:
student code only in sandboxed workers forked from a clean image, comparisons with
``lib`` in the grading process), then writes each question's verdict into its check
cell (``grade_id`` = ``<question>_check``):

- passed: a ``stdout`` line and no error, so nbgrader gives the cell its points;
- failed: an ``error`` output carrying the grader's message, so nbgrader gives 0.

Every other code cell gets the outputs the student's code produced in the sandboxed
worker (text, ``repr``\ s, figures as PNG, errors; :mod:`grading.outputs`): the formgrader
and the feedback show the student's tables and figures.  They arrive as data (never HTML
or script) and only from a worker with a private file system view.

No cell of the submission is executed in nbgrader's process or kernel.  Manually
graded cells (05's written answers) are left as they are: nbgrader's ``SaveAutoGrades``
marks them for manual grading as usual.

Autograding again (``--force``) keeps what graders did: nbgrader's ``SaveAutoGrades``
keeps every manual score but flags each of them "needs manual grading" again, so the
formgrader lists graded answers as ungraded.  :class:`SaveAutoGradesKeepingReviews`
takes its place (``nbgrader_config.py``) and restores the graded state of a grade a
grader had settled (a manual score, not flagged) when the submission is the one that was
graded (the same student content as at the previous autograde, by a fingerprint kept in
the gradebook) and its autograded score is unchanged; a resubmission or a changed
verdict is still flagged for review.
"""

import hashlib
import json
import os
import shutil
import sys
import tempfile

import nbformat
from traitlets import Unicode

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import NbGraderPreprocessor, SaveAutoGrades
from sqlalchemy import text

from .launch import run_grader
from .records import Job

CHECK_SUFFIX = "_check"
PASSED_TEXT = "{name}: passed (hidden checks, sandboxed grader)\n"


def course_root():
    """The course folder (holding ``lib/``, ``hidden/`` and ``tools/``)."""
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _assignment_spec(root, assignment):
    if root not in sys.path:
        sys.path.insert(0, root)
    from tools.assignments import by_name
    return by_name(assignment)


def grade_notebook(nb, assignment, folder, root=None):
    """Grade ``nb`` (a NotebookNode) of ``assignment`` with the sandboxed grader.

    ``folder`` holds the assignment's public files (nbgrader copies them from
    ``source/<assignment>/``).  Returns ``(verdicts, report)``: ``verdicts`` maps each
    question to its :class:`grading.records.Verdict`; ``report`` is the
    :class:`grading.records.Report`."""
    root = root or course_root()
    spec = _assignment_spec(root, assignment)
    private = tempfile.mkdtemp(prefix="nbgrader-private-")  # mode 0700, owner only
    try:
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        shutil.copytree(os.path.join(root, "lib"), os.path.join(private, "lib"), ignore=ignore)
        os.makedirs(os.path.join(private, "hidden"))
        for path in (os.path.join(root, "hidden", "__init__.py"), spec.hidden_path(root)):
            shutil.copy(path, os.path.join(private, "hidden"))
        notebook = os.path.join(private, assignment + ".ipynb")
        nbformat.write(nb, notebook)
        public = tuple(os.path.join(folder, p) for p in spec.public
                       if os.path.exists(os.path.join(folder, p)))
        job = Job(notebook=notebook, hidden_module=spec.hidden, private=private,
                  out=os.path.join(private, "verdicts.json"), public_files=public,
                  preload=tuple(spec.preload), capture_outputs=True,
                  extensions=spec.grade_extensions)
        verdicts, report = run_grader(job, private)
        return {v.name: v for v in verdicts}, report
    finally:
        shutil.rmtree(private, ignore_errors=True)


def verdicts_into_cells(nb, verdicts, not_graded="not graded: the sandboxed grader gave no verdict"):
    """Replace the outputs of every check cell by its question's verdict; return the
    names of the check cells' questions."""
    seen = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        gid = meta.get("grade_id", "")
        name = gid[:-len(CHECK_SUFFIX)] if gid.endswith(CHECK_SUFFIX) else gid
        seen.append(name)
        verdict = verdicts.get(name)
        if verdict is not None and verdict.passed:
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout",
                                                   text=PASSED_TEXT.format(name=name))]
        else:
            message = verdict.message if verdict is not None else not_graded
            cell.outputs = [nbformat.v4.new_output(
                "error", ename="CheckFailed", evalue=message,
                traceback=[f"CheckFailed: {name}: {message}"])]
        cell.execution_count = None
    return seen


def outputs_into_cells(nb, outputs):
    """Give each code cell that is not a check cell the outputs the sandboxed worker
    returned for it (``outputs``: code cell index, a string, -> nbformat v4 outputs, see
    :mod:`grading.outputs`): what the student's code printed, displayed, plotted and
    raised when the grader ran it.  Data only, never executed here."""
    index = -1
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        index += 1
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            continue  # check cells show the verdict (verdicts_into_cells)
        kept = outputs.get(str(index))
        if kept:
            cell.outputs = [nbformat.from_dict(o) for o in kept]
            counts = [o.get("execution_count") for o in kept if o.get("output_type") == "execute_result"]
            cell.execution_count = counts[0] if counts else None


class SandboxedGrading(NbGraderPreprocessor):
    """nbgrader preprocessor: the sandboxed grader's verdicts in the check cells."""

    course_root = Unicode("", help="The course folder (default: the one holding this "
                                   "grading package)").tag(config=True)

    def preprocess(self, nb, resources):
        assignment = resources["nbgrader"]["assignment"]
        folder = resources.get("metadata", {}).get("path") or os.getcwd()
        for cell in nb.cells:  # nothing the student's kernel printed survives
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        try:
            verdicts, report = grade_notebook(nb, assignment, folder, self.course_root or None)
        except Exception as e:
            # The machinery failed, not the student: stop this submission loudly (nbgrader
            # reports it and exits non-zero) instead of recording zeros.
            raise RuntimeError(f"sandboxed grading of {assignment} for "
                               f"{resources['nbgrader'].get('student')} failed, nothing recorded: "
                               f"{type(e).__name__}: {e}") from e
        outputs_into_cells(nb, report.outputs)
        verdicts_into_cells(nb, verdicts)
        if report.outputs_note:
            self.log.warning("grader: %s", report.outputs_note)
        scored = sum(v.score for v in verdicts.values())
        total = sum(v.max_score for v in verdicts.values())
        self.log.info("%s/%s: %s/%s points from the sandboxed grader (isolated: %s, %s s)",
                      resources["nbgrader"]["student"], assignment, scored, total,
                      report.isolated, report.seconds)
        for event in report.events:
            self.log.warning("grader: %s", str(event)[:300])
        return nb, resources


# ---- re-autograding keeps graded answers graded ------------------------------------------
FINGERPRINTS = "course_autograded_fingerprint"   # our table in nbgrader's gradebook


def student_fingerprint(nb):
    """A digest of what the student wrote in ``nb``: the solution cells and the cells the
    student added (without nbgrader metadata), not their outputs; the cells nbgrader
    overwrites with the source's version (prompts, given code, checks) are left out, so
    an edit of the source notebook does not count as a new submission."""
    parts = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta and not meta.get("solution"):
            continue
        parts.append([cell.cell_type, (meta or {}).get("grade_id", ""), cell.source])
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def _fingerprint_table(gb):
    gb.db.execute(text(f"CREATE TABLE IF NOT EXISTS {FINGERPRINTS} "
                       "(notebook_id VARCHAR(32) PRIMARY KEY, fingerprint VARCHAR(64) NOT NULL)"))


def stored_fingerprint(gb, notebook_id):
    _fingerprint_table(gb)
    row = gb.db.execute(text(f"SELECT fingerprint FROM {FINGERPRINTS} WHERE notebook_id = :i"),
                        {"i": notebook_id}).first()
    return row[0] if row else None


def store_fingerprint(gb, notebook_id, fingerprint):
    _fingerprint_table(gb)
    gb.db.execute(text(f"DELETE FROM {FINGERPRINTS} WHERE notebook_id = :i"), {"i": notebook_id})
    gb.db.execute(text(f"INSERT INTO {FINGERPRINTS} (notebook_id, fingerprint) VALUES (:i, :f)"),
                  {"i": notebook_id, "f": fingerprint})


class SaveAutoGradesKeepingReviews(SaveAutoGrades):
    """nbgrader's ``SaveAutoGrades``, except that a grade a grader settled stays settled.

    ``SaveAutoGrades`` flags every grade with a manual score "needs manual grading" on
    each autograde (it cannot tell whether the work changed).  Here a grade keeps its
    graded state (``needs_manual_grade`` False) when, before this run, it had a manual
    score and no flag, the student's content is the one the previous autograde recorded
    (:func:`student_fingerprint`, kept in the gradebook's ``course_autograded_fingerprint``
    table) and its autograded score did not change.  Scores and comments are never
    touched: nbgrader keeps them in any case."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        ids = (info["notebook"], info["assignment"], info["student"])
        fingerprint = student_fingerprint(nb)
        with Gradebook(info["db_url"]) as gb:
            try:
                sub = gb.find_submission_notebook(*ids)
                before = {g.name: (g.auto_score, g.manual_score, g.needs_manual_grade)
                          for g in sub.grades}
                same_work = stored_fingerprint(gb, sub.id) == fingerprint
            except MissingEntry:
                before, same_work = {}, False
        nb, resources = super().preprocess(nb, resources)
        kept = []
        with Gradebook(info["db_url"]) as gb:
            sub = gb.find_submission_notebook(*ids)
            for grade in sub.grades:
                auto, manual, flagged = before.get(grade.name, (None, None, True))
                if (same_work and manual is not None and not flagged and grade.needs_manual_grade
                        and grade.manual_score == manual and grade.auto_score == auto):
                    grade.needs_manual_grade = False
                    kept.append(grade.name)
            store_fingerprint(gb, sub.id, fingerprint)
            gb.db.commit()
        if kept:
            self.log.info("%s/%s: kept as graded (same submission, same autograded score): %s",
                          info["student"], info["assignment"], ", ".join(sorted(kept)))
        return nb, resources
