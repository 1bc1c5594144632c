"""Grade one submission: run its notebook in the sandbox and every hidden check against it.

``grade`` returns one result per question (name, score, max_score, message) plus a
report for the instructor.  Nothing the submission does can change the list of
questions or their points: they come from the hidden-check module, in this process.

``python -m grading.runner JOB.json`` (a :class:`grading.records.Job`) is how the Otter
plugin and nbgrader grade (:func:`grading.launch.run_grader`): a fresh process that
preloads the assignment's public packages, forks the clean fork server (so the workers
share the preloaded memory with it), and only then imports the reference and the hidden
checks, grades, and writes the verdicts file (:func:`grading.records.write_verdicts`).
"""

import importlib
import os
import time

from .checks import CheckFailed, Submission
from .isolation import MachineryError
from .records import Job, Report, Verdict, write_verdicts
from .sandbox import Limits, Sandbox, WorkerError

PASS_MESSAGE = "passed"

TOTAL_SECONDS = 420
"""Wall-clock budget of one grading (notebook and every question).  With Otter's own
start (~20 s) and the plugin's hard stop (``launch.GRADER_SECONDS``) it fits
inside Gradescope's 10-minute timeout that the README recommends; per-cell and
per-call limits count the worker's CPU time within it."""

MESSAGE_CHARS = 800
"""A verdict's message is cut to this length."""


MACHINERY_EXIT = 3
"""Exit status of ``python -m grading.runner`` when the machinery cannot grade here."""


def _scrub(message, secrets):
    """Never echo a line of reference code or hidden tests back to a student."""
    for line in secrets:
        if line in message:
            return "(message withheld: it quoted grading code)"
    return message


def _scrub_outputs(outputs, secrets):
    """A cell's outputs, each withheld that quotes a line of reference code or hidden tests."""
    kept = []
    for out in outputs:
        text = "\n".join([out.get("text", ""), out.get("data", {}).get("text/plain", ""),
                          out.get("evalue", ""), *out.get("traceback", [])])
        if text.strip() and any(line in text for line in secrets):
            out = {"output_type": "stream", "name": "stderr",
                   "text": "[grader: output withheld: it quoted grading code]\n"}
        kept.append(out)
    return kept


def _secret_lines(paths):
    lines = set()
    for root in paths:
        for dirpath, _, files in os.walk(root):
            for name in files:
                if name.endswith(".py"):
                    with open(os.path.join(dirpath, name), encoding="utf-8") as f:
                        for line in f:
                            line = line.strip()
                            if len(line) >= 24 and not line.startswith("#"):
                                lines.add(line)
    return lines


def grade(notebook, hidden_module, public_files=(), limits=None, secret_dirs=(), preload=(),
          forkserver=None, capture_outputs=False, extensions=False):
    """Grade ``notebook`` with the questions of ``hidden_module`` (an importable name): its
    core, and its extension questions too when ``extensions``.

    Workers come from ``forkserver`` when given (see :func:`main`), else from a fork
    server this call starts, preloading ``preload``."""
    module = importlib.import_module(hidden_module)
    registry = module.QUESTIONS
    ref = importlib.import_module("lib")
    limits = limits or Limits(**getattr(module, "LIMITS", {}))
    secrets = _secret_lines(secret_dirs)
    sandbox = Sandbox(notebook, public_files, limits, forkserver=forkserver, preload=preload,
                      capture_outputs=capture_outputs)
    sub = Submission(sandbox, default_timeout=limits.call_timeout)
    results, started = [], time.monotonic()
    budget_end = started + TOTAL_SECONDS
    sandbox.deadline = budget_end
    try:
        sandbox.preflight()  # MachineryError: stop, never grade with broken machinery
        try:
            sandbox.start()
        except WorkerError as e:
            sandbox.events.append(f"the notebook could not be executed ({e})")
        for q in registry.graded(extensions):
            sub.default_timeout = q.timeout or limits.call_timeout
            t0 = time.monotonic()
            if t0 > budget_end:
                score, msg = 0, "not graded: the grading time budget was used up by earlier questions"
            else:
                try:
                    q.check(sub, ref)
                    score, msg = q.points, PASS_MESSAGE
                except CheckFailed as e:
                    score, msg = 0, str(e)
                except WorkerError as e:
                    score, msg = 0, f"the notebook could not be run for this check ({e})"
                except MachineryError:
                    raise  # the grader's failure, not the student's: no verdict at all
                except Exception as e:  # noqa: BLE001 - an odd return value must not crash grading
                    score = 0
                    msg = (f"the returned value could not be checked ({type(e).__name__}); "
                           "check the type and shape your code returns")
            results.append(Verdict(q.name, score, q.points, _scrub(msg, secrets)[:MESSAGE_CHARS],
                                   round(time.monotonic() - t0, 2)))
    finally:
        sandbox.close()
    events = list(sandbox.events)
    if sandbox.ids is None:
        events.insert(0, "WARNING: the grader is not running as root, so the submission ran "
                         "as the same user as the grader (not isolated)")
    report = Report(
        isolated=sandbox.isolated, isolation=sandbox.isolation,
        notebook_cells_with_errors={str(k): v[:200] for k, v in sandbox.cell_errors.items()},
        events=tuple(events), restarts=max(sandbox.restarts, 0),
        worker_peak_mb=round(sandbox.peak_mb, 1), seconds=round(time.monotonic() - started, 2),
        outputs={str(k): _scrub_outputs(v, secrets) for k, v in sorted(sandbox.outputs.items())},
        outputs_note=sandbox.outputs_note)
    return results, report


def main(argv=None):
    import sys

    from .forkserver import ForkServer, preload
    job = Job.read((argv or sys.argv)[-1])
    preload(job.preload)
    forkserver = ForkServer.here()  # before a single secret is read
    _last_to_go_when_memory_runs_out()
    try:
        sys.path.insert(0, job.private)
        results, report = grade(job.notebook, job.hidden_module, public_files=job.public_files,
                                secret_dirs=[job.private], forkserver=forkserver,
                                capture_outputs=job.capture_outputs, extensions=job.extensions)
        write_verdicts(job.out, results, report)
    except MachineryError as e:
        print(f"grading machinery error: {e}", file=sys.stderr, flush=True)
        return MACHINERY_EXIT
    finally:
        forkserver.close()
    return 0


def _last_to_go_when_memory_runs_out():
    """Should the container run out of memory, the kernel picks the worker (score
    1000), never the grading process (needs root; the fork server forked before keeps
    the default)."""
    try:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("-500")
    except OSError:
        pass


if __name__ == "__main__":
    raise SystemExit(main())
