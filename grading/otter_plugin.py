"""Otter plugin: grade in a sandbox, let Otter only report the verdicts.

Otter executes a submission and its tests in one process, the student's.  This
plugin changes that without changing Otter's interface (``otter run``, Gradescope's
``run_autograder``, ``results.json``):

1. ``before_execution`` moves the reference package and the hidden checks out of the
   submission folder into a private folder, grades the notebook with
   :func:`grading.runner.grade` (student code runs in a sandboxed worker, comparisons
   here), writes the verdicts to a private JSON file, and hands Otter an empty notebook,
   so that no student code runs in Otter's kernel.
2. Otter's test files for the zip are bridges (``grading.bridge``): each reads its
   question's verdict and passes or fails with the message.
"""

import os
import shutil
import sys
import tempfile

import nbformat
from otter.plugins import AbstractOtterPlugin

from .runner import grade, write_results

RESULTS_ENV = "RNNCOURSE_TRUSTED_RESULTS"
SECRET_DIRS = ("lib", "hidden")


class TrustedGrading(AbstractOtterPlugin):
    """Config keys: ``hidden_module`` (importable name), ``public_files`` (list)."""

    def before_execution(self, submission):
        cfg = self.plugin_config or {}
        subdir = os.path.dirname(os.path.abspath(self.submission_path))
        private = tempfile.mkdtemp(prefix="grading-private-")  # mode 0700, owner only
        for name in SECRET_DIRS:
            src = os.path.join(subdir, name)
            if os.path.exists(src):
                shutil.move(src, os.path.join(private, name))
        source = os.path.join(os.path.dirname(subdir), "source")
        if os.path.isdir(source) and os.geteuid() == 0:
            os.chmod(source, 0o700)
        sys.path.insert(0, private)
        for mod in [m for m in sys.modules if m == "lib" or m.startswith(("lib.", "hidden"))]:
            del sys.modules[mod]
        public = [os.path.join(subdir, p) for p in cfg.get("public_files", [])]
        results, report = grade(self.submission_path, cfg["hidden_module"], public_files=public,
                                secret_dirs=[private])
        path = os.path.join(private, "verdicts.json")
        write_results(path, results, report)
        os.environ[RESULTS_ENV] = path
        self._report = report
        nb = nbformat.v4.new_notebook()
        nb.cells.append(nbformat.v4.new_code_cell("# graded in the sandbox; see grading.otter_plugin"))
        nb.metadata = submission.metadata if hasattr(submission, "metadata") else {}
        return nb

    def generate_report(self):
        report = getattr(self, "_report", None)
        if not report:
            return ""
        lines = ["Sandboxed grading report (for instructors):",
                 f"  isolated worker: {report['isolated']}",
                 f"  seconds: {report['seconds']}, worker restarts: {report['restarts']}, "
                 f"worker peak memory: {report['worker_peak_mb']} MB"]
        lines += [f"  event: {e}" for e in report["events"]]
        lines += [f"  cell {k}: {v}" for k, v in report["notebook_cells_with_errors"].items()]
        return "\n".join(lines)
