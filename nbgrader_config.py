"""nbgrader configuration: source/<assignment>/ -> release/<assignment>/, and grading.

- ``nbgrader autograde`` does not execute submissions in its own kernel: the
  preprocessor ``grading.nbgrader_autograde.SandboxedGrading`` takes the place of
  nbgrader's ``Execute`` and records the sandboxed grader's verdict in every check
  cell, so each question gets the score the Otter autograder gives on Gradescope.
- ``nbgrader validate`` runs the public checks; a failing one fails the check cell
  (``grading/nbgrader_validate.py``, run when the validating kernel starts).
- ``nbgrader autograde --force`` keeps manual grades and their graded state for a
  submission that did not change (``SaveAutoGradesKeepingReviews``).
- The gradebook (manual grades included) is ``gradebook.db`` in the course folder,
  where ``make clean`` does not reach; docs/MANUAL_GRADING.md says how to back it up.
"""
import os
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)  # this course's grading package, not an installed copy

from nbgrader.converters import Autograde  # noqa: E402
from nbgrader.preprocessors import Execute, SaveAutoGrades  # noqa: E402

c = get_config()  # noqa: F821 - provided by nbgrader

c.CourseDirectory.root = ROOT
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(ROOT, "gradebook.db")
# Public checks and data are copied; nothing else may live in source/<assignment>/.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "*.egg-info",
                            ".OTTER_LOG", "student_output.txt"]
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Autograde: nbgrader's chain with the sandboxed grader in place of its kernel, and a
# SaveAutoGrades that keeps settled manual grades settled when the same submission is
# autograded again (named, not imported: a configuration file that raises is silently
# ignored by nbgrader).
REPLACED = {Execute: "grading.nbgrader_autograde.SandboxedGrading",
            SaveAutoGrades: "grading.nbgrader_autograde.SaveAutoGradesKeepingReviews"}
c.Autograde.autograde_preprocessors = [
    REPLACED.get(p, p) for p in Autograde.autograde_preprocessors.default()]
# Validate: failing public checks fail their cell.
c.Execute.extra_arguments = [
    "--HistoryManager.hist_file=:memory:",
    "--IPKernelApp.exec_files=" + os.path.join(ROOT, "grading", "nbgrader_validate.py")]
