"""Start one grading in a fresh process and read its verdicts: how the Otter plugin and
nbgrader's preprocessor grade (``python -m grading.runner JOB.json``, see
:func:`grading.runner.main`).  Standard library only."""

import os
import subprocess
import sys

from .forkserver import grading_process_env
from .isolation import MachineryError
from .records import read_verdicts

GRADER_SECONDS = 500
"""Hard stop of the grading process: inside Gradescope's 10 minutes with Otter's own start
(``runner.TOTAL_SECONDS`` is the grader's tighter budget)."""

LOG_TAIL_CHARS = 2000
"""How much of the grading process's output a machinery error quotes."""


def run_grader(job, folder):
    """Grade ``job`` (a :class:`grading.records.Job`) in a fresh process, its job file and
    log in ``folder`` (private to the grader).  Returns ``(verdicts, report)``.

    Should the process fail, time out or write no verdicts, raises :class:`MachineryError`
    with the cause and the end of its log: the caller stops with an error (Gradescope: an
    autograder failure), no question is marked zero."""
    job_path = os.path.join(folder, "job.json")
    job.write(job_path)
    log_path = os.path.join(folder, "grader.log")
    error = None
    with open(log_path, "wb") as log:
        try:
            proc = subprocess.run([sys.executable, "-s", "-m", "grading.runner", job_path],
                                  cwd="/", env=grading_process_env(), stdin=subprocess.DEVNULL,
                                  stdout=log, stderr=log, timeout=GRADER_SECONDS)
            if proc.returncode != 0:
                error = f"the grading process failed (exit {proc.returncode})"
        except subprocess.TimeoutExpired:
            error = f"the grading process took longer than {GRADER_SECONDS} s"
    if error is None:
        try:
            return read_verdicts(job.out)
        except (OSError, ValueError, KeyError, TypeError):
            error = "the grading process wrote no verdicts"
    with open(log_path, encoding="utf-8", errors="replace") as f:
        tail = f.read()[-LOG_TAIL_CHARS:]
    raise MachineryError(f"{error}; not graded (an autograder error, not the submission's "
                         f"score):\n{tail}")
