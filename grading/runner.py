"""Grade one submission: run its notebook in the sandbox and every hidden check against it.

``grade`` returns one result per question (name, score, max_score, message) plus a
report for the instructor.  Nothing the submission does can change the list of
questions or their points: they come from the hidden-check module, in this process.
"""

import importlib
import json
import os
import time

from .checks import CheckFailed, Submission
from .sandbox import Limits, Sandbox, WorkerError

PASS_MESSAGE = "passed"


def _scrub(message, secrets):
    """Never echo a line of reference code or hidden tests back to a student."""
    for line in secrets:
        if line in message:
            return "(message withheld: it quoted grading code)"
    return message


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


def grade(notebook, hidden_module, public_files=(), limits=None, secret_dirs=()):
    """Grade ``notebook`` with the questions of ``hidden_module`` (an importable name)."""
    module = importlib.import_module(hidden_module)
    registry = module.QUESTIONS
    ref = importlib.import_module("lib")
    limits = limits or Limits(**getattr(module, "LIMITS", {}))
    secrets = _secret_lines(secret_dirs)
    sandbox = Sandbox(notebook, public_files, limits)
    sub = Submission(sandbox, default_timeout=limits.call_timeout)
    results, started = [], time.monotonic()
    budget_end = started + getattr(module, "TOTAL_SECONDS", 540)
    try:
        try:
            sandbox.start()
        except WorkerError as e:
            sandbox.events.append(f"the notebook could not be executed ({e})")
        for q in registry.questions:
            sub.current = q["name"]
            t0 = time.monotonic()
            if t0 > budget_end:
                score, msg = 0, "not graded: the grading time budget was used up by earlier questions"
            else:
                try:
                    q["check"](sub, ref)
                    score, msg = q["points"], PASS_MESSAGE
                except CheckFailed as e:
                    score, msg = 0, str(e)
                except WorkerError as e:
                    score, msg = 0, f"the notebook could not be run for this check ({e})"
                except Exception as e:  # noqa: BLE001 - an odd return value must not crash grading
                    score = 0
                    msg = (f"the returned value could not be checked ({type(e).__name__}); "
                           "check the type and shape your code returns")
            results.append({"name": q["name"], "score": score, "max_score": q["points"],
                            "message": _scrub(msg, secrets)[:800],
                            "seconds": round(time.monotonic() - t0, 2)})
    finally:
        sandbox.stop()
    report = {
        "isolated": sandbox.isolated,
        "notebook_cells_with_errors": {str(k): v[:200] for k, v in sandbox.cell_errors.items()},
        "events": sandbox.events,
        "restarts": max(sandbox.restarts, 0),
        "worker_peak_mb": round(sandbox.peak_mb, 1),
        "seconds": round(time.monotonic() - started, 2),
    }
    if not sandbox.isolated:
        report["events"].insert(0, "WARNING: the grader is not running as root, so the "
                                   "submission ran as the same user as the grader (not isolated)")
    return results, report


def write_results(path, results, report):
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"questions": results, "report": report}, f, indent=1)
