"""Otter plugin: grade in a sandbox, let Otter only report the verdicts.

Otter executes a submission and its tests in one process, the student's.  This plugin
changes that without changing Otter's interface (``otter run``, Gradescope's
``run_autograder``, ``results.json``):

1. ``before_execution`` moves the reference package and the hidden checks out of the
   submission folder into a private folder and grades the notebook in a fresh process
   (:func:`grading.launch.run_grader`: student code runs in sandboxed workers forked
   from a clean preloaded image, comparisons in the grading process).  It keeps the
   verdicts in memory and deletes the private folder.  Otter gets an empty notebook, so
   that no student code runs in Otter's kernel, and Otter's own process never imports
   PyTorch.
2. Otter's test files in the zip (:mod:`grading.otter_tests`) only name each question
   and its points.  ``after_grading`` writes each question's verdict into Otter's results
   (its test cases' outcomes and message, and ``results.update_score``), so Gradescope
   shows one line per question with its score and message, as for any Otter test.
3. The feedback policy (``feedback`` in the plugin's configuration, :mod:`grading.feedback`)
   decides what ``results.json`` shows the student before the results are released:
   under ``after_due_date`` and ``after_publish`` one neutral line per question and no
   total (``after_grading`` makes Otter's results apply it when Otter writes them).
"""

import os
import shutil
import tempfile

import nbformat
from otter.plugins import AbstractOtterPlugin
from otter.test_files import GradingResults

from .feedback import apply_policy, check_policy
from .isolation import MachineryError
from .launch import run_grader
from .records import Job

SECRET_DIRS = ("lib", "hidden")


class PolicyResults(GradingResults):
    """Otter's results that write Gradescope's dictionary as the course's feedback
    policy (``feedback_policy``) shows it; Otter writes ``results.json`` from
    ``to_gradescope_dict``, after every plugin event."""
    feedback_policy = "immediate"

    def to_gradescope_dict(self, ag_config):
        return apply_policy(super().to_gradescope_dict(ag_config), self.feedback_policy)


class TrustedGrading(AbstractOtterPlugin):
    """Config keys: ``hidden_module`` (importable name), ``public_files`` (list),
    ``preload`` (public packages the notebook imports, shared by the workers),
    ``feedback`` (the feedback policy, :data:`grading.feedback.POLICIES`; default
    ``"immediate"``)."""

    def before_execution(self, submission):
        cfg = self.plugin_config or {}
        subdir = os.path.dirname(os.path.abspath(self.submission_path))
        private = tempfile.mkdtemp(prefix="grading-private-")  # mode 0700, owner only
        try:
            for name in SECRET_DIRS:
                src = os.path.join(subdir, name)
                if os.path.exists(src):
                    shutil.move(src, os.path.join(private, name))
            source = os.path.join(os.path.dirname(subdir), "source")
            if os.path.isdir(source) and os.geteuid() == 0:
                os.chmod(source, 0o700)
            job = Job(notebook=os.path.abspath(self.submission_path),
                      hidden_module=cfg["hidden_module"], private=private,
                      out=os.path.join(private, "verdicts.json"),
                      public_files=tuple(os.path.join(subdir, p) for p in cfg.get("public_files", [])),
                      preload=tuple(cfg.get("preload", [])),
                      extensions=bool(cfg.get("extensions", False)))
            self._verdicts, self._report = run_grader(job, private)
        finally:
            shutil.rmtree(private, ignore_errors=True)
        nb = nbformat.v4.new_notebook()
        nb.cells.append(nbformat.v4.new_code_cell("# graded in the sandbox; see grading.otter_plugin"))
        nb.metadata = submission.metadata if hasattr(submission, "metadata") else {}
        return nb

    def after_grading(self, results):
        verdicts = getattr(self, "_verdicts", None)
        if verdicts is None:
            raise MachineryError("the sandboxed grader did not run before Otter's tests "
                                 "(before_execution was not called); not graded")
        record_verdicts(results, verdicts)
        policy = check_policy((self.plugin_config or {}).get("feedback", "immediate"))
        if isinstance(results, GradingResults) and policy != "immediate":
            results.__class__ = PolicyResults
            results.feedback_policy = policy

    def generate_report(self):
        report = getattr(self, "_report", None)
        if report is None:
            return ""
        lines = ["Sandboxed grading report (for instructors):",
                 f"  isolated worker: {report.isolated}",
                 f"  seconds: {report.seconds}, worker restarts: {report.restarts}, "
                 f"worker peak memory: {report.worker_peak_mb} MB"]
        lines += [f"  event: {e}" for e in report.events]
        lines += [f"  cell {k}: {v}" for k, v in report.notebook_cells_with_errors.items()]
        return "\n".join(lines)


def record_verdicts(results, verdicts):
    """Write ``verdicts`` (:class:`grading.records.Verdict`, one per question) into Otter's
    ``GradingResults``: in each question's test file, the cases pass or fail as the
    verdict says, failing ones carry its message; the file's score is the verdict's.  A question without a verdict, a verdict without a test file or points
    that disagree is the grader's failure: :class:`MachineryError`, nothing is scored."""
    from otter.test_files.abstract_test import TestCaseResult
    by_name = {v.name: v for v in verdicts}
    if set(by_name) != set(results.results):
        raise MachineryError(
            "the autograder's test files and the grader's questions differ (test files "
            f"without a verdict: {sorted(set(results.results) - set(by_name))}, verdicts "
            f"without a test file: {sorted(set(by_name) - set(results.results))}); not graded")
    for name, test_file in results.results.items():
        verdict = by_name[name]
        if abs(test_file.possible - verdict.max_score) > 1e-9:
            raise MachineryError(f"{name}: the test file is worth {test_file.possible} points, "
                                 f"the grader's question {verdict.max_score}; not graded")
        test_file.test_case_results = [
            TestCaseResult(test_case=case, passed=verdict.passed,
                           message=None if verdict.passed else verdict.message)
            for case in test_file.test_cases]
        results.update_score(name, verdict.score)
