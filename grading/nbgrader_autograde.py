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
"""

import os
import shutil
import sys
import tempfile

import nbformat
from traitlets import Unicode

from nbgrader.preprocessors import NbGraderPreprocessor

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
