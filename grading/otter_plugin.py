"""Otter plugin: grade in a sandbox, let Otter only report the verdicts.

Otter executes a submission and its tests in one process, the student's.  This
plugin changes that without changing Otter's interface (``otter run``, Gradescope's
``run_autograder``, ``results.json``):

1. ``before_execution`` moves the reference package and the hidden checks out of the
   submission folder into a private folder and grades the notebook in a fresh process,
   ``python -m grading.runner`` (student code runs in sandboxed workers forked from its
   clean preloaded image, comparisons in the grading process), which writes the
   verdicts to a private JSON file.  Otter gets an empty notebook, so that no student
   code runs in Otter's kernel, and Otter's own process never imports PyTorch.
2. Otter's test files for the zip are bridges (``grading.bridge``): each reads its
   question's verdict and passes or fails with the message.
"""

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile

import nbformat
from otter.plugins import AbstractOtterPlugin

from .forkserver import grading_process_env
from .isolation import MachineryError

RESULTS_ENV = "RNNCOURSE_TRUSTED_RESULTS"
SECRET_DIRS = ("lib", "hidden")
GRADER_SECONDS = 500  # hard stop, inside Gradescope's 10 minutes with Otter's start; runner.TOTAL_SECONDS is tighter


class TrustedGrading(AbstractOtterPlugin):
    """Config keys: ``hidden_module`` (importable name), ``public_files`` (list),
    ``preload`` (public packages the notebook imports, shared by the workers)."""

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
        public = [os.path.join(subdir, p) for p in cfg.get("public_files", [])]
        path = os.path.join(private, "verdicts.json")
        self._report = _run_grader(private, {
            "notebook": os.path.abspath(self.submission_path), "hidden_module": cfg["hidden_module"],
            "private": private, "public_files": public, "preload": cfg.get("preload", []),
            "out": path})
        for name in (*SECRET_DIRS, "job.json", "grader.log"):  # only the verdicts stay, until exit
            shutil.rmtree(os.path.join(private, name), ignore_errors=True)
            if os.path.isfile(os.path.join(private, name)):
                os.remove(os.path.join(private, name))
        atexit.register(shutil.rmtree, private, True)
        os.environ[RESULTS_ENV] = path
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


def _run_grader(private, job):
    """Grade in a fresh process (see :func:`grading.runner.main`); return its report.
    Should it fail, raise :class:`MachineryError` with the cause: Otter stops with an
    error (Gradescope: an autograder failure), no question is marked zero."""
    job_path = os.path.join(private, "job.json")
    with open(job_path, "w", encoding="utf-8") as f:
        json.dump(job, f)
    env = grading_process_env()
    log_path = os.path.join(private, "grader.log")
    error = None
    with open(log_path, "wb") as log:
        try:
            proc = subprocess.run([sys.executable, "-s", "-m", "grading.runner", job_path],
                                  cwd="/", env=env, stdin=subprocess.DEVNULL, stdout=log,
                                  stderr=log, timeout=GRADER_SECONDS)
            if proc.returncode != 0:
                error = f"the grading process failed (exit {proc.returncode})"
        except subprocess.TimeoutExpired:
            error = f"the grading process took longer than {GRADER_SECONDS} s"
    try:
        with open(job["out"], encoding="utf-8") as f:
            report = json.load(f)["report"]
        if error is None:
            return report
    except (OSError, ValueError, KeyError):
        pass
    with open(log_path, encoding="utf-8", errors="replace") as f:
        tail = f.read()[-2000:]
    shutil.rmtree(private, ignore_errors=True)
    raise MachineryError(f"{error or 'the grading process wrote no verdicts'}; not graded "
                         f"(an autograder error, not the submission's score):\n{tail}")
