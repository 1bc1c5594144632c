"""Grade a folder of submissions with an autograder zip: gradebook CSV and feedback files.

    python -m grading.batch SUBMISSIONS --autograder autograder/00_introduction.zip \
        --out grades/00_introduction [--jobs 2] [--timeout 900]

SUBMISSIONS is either a Gradescope export (one folder per submission holding an
``.ipynb`` and ``submission_metadata.yml``) or nbgrader's ``submitted/`` folder
(``submitted/<student>/<assignment>/<notebook>.ipynb``), or any folder of notebooks.
Each submission is graded by ``otter run`` in its own process with a time limit, so a
broken submission cannot stop the batch.  Writes ``gradebook.csv`` (one row per
student, one column per question, total) and ``feedback/<student>.txt``.
"""

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor, as_completed


def find_submissions(folder):
    """[(student, notebook_path)] for the supported layouts, sorted by student."""
    found = {}
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        notebooks = sorted(f for f in files if f.endswith(".ipynb") and not f.startswith("."))
        if not notebooks:
            continue
        rel = os.path.relpath(root, folder).split(os.sep)
        student = rel[0] if rel != ["."] else None
        meta = os.path.join(root, "submission_metadata.yml")
        if os.path.exists(meta):  # Gradescope export: name the student by the submitter
            with open(meta, encoding="utf-8") as f:
                m = re.search(r":name:\s*(.+)", f.read())
            if m:
                student = f"{m.group(1).strip()} ({rel[0]})"
        for nb in notebooks:
            key = student or os.path.splitext(nb)[0]
            if key in found:
                key = f"{key}/{nb}"
            found[key] = os.path.join(root, nb)
    return sorted(found.items())


def questions_of(zip_path):
    with zipfile.ZipFile(zip_path) as z:
        names = [n for n in z.namelist() if n.startswith("tests/") and n.endswith(".py")]
    return sorted(os.path.splitext(os.path.basename(n))[0] for n in names)


def grade_one(zip_path, notebook, timeout):
    """Run ``otter run`` in a fresh folder; always returns a result dict."""
    out = tempfile.mkdtemp(prefix="batch-")
    t0 = time.monotonic()
    try:
        proc = subprocess.run(
            [os.path.join(os.path.dirname(sys.executable), "otter"), "run", "-a",
             os.path.abspath(zip_path), "-o", out, "--no-logo", os.path.abspath(notebook)],
            cwd=out, capture_output=True, text=True, timeout=timeout)
        path = os.path.join(out, "results.json")
        if not os.path.exists(path):
            return {"error": f"the grader failed (exit {proc.returncode})", "tests": []}
        with open(path, encoding="utf-8") as f:
            results = json.load(f)
        return {"error": None, "tests": results.get("tests", []),
                "seconds": round(time.monotonic() - t0, 1)}
    except subprocess.TimeoutExpired:
        return {"error": f"grading took longer than {timeout} s", "tests": []}
    finally:
        shutil.rmtree(out, ignore_errors=True)


def feedback_text(student, result, questions):
    by_name = {t["name"]: t for t in result["tests"]}
    lines = [f"Feedback for {student}", ""]
    if result["error"]:
        lines += [f"Grading error: {result['error']}", ""]
    for q in questions:
        t = by_name.get(q, {})
        score, max_score = t.get("score", 0), t.get("max_score", "?")
        lines.append(f"{q}: {score}/{max_score}")
        output = t.get("output", "")
        message = output.strip().splitlines()[-1] if output.strip() else ""
        if t and score != max_score and message:
            lines.append("    " + message.replace("AssertionError: ", ""))
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("submissions")
    parser.add_argument("--autograder", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args(argv)

    subs = find_submissions(args.submissions)
    questions = questions_of(args.autograder)
    os.makedirs(os.path.join(args.out, "feedback"), exist_ok=True)
    results = {}
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {pool.submit(grade_one, args.autograder, nb, args.timeout): student
                   for student, nb in subs}
        for i, fut in enumerate(as_completed(futures), 1):
            student = futures[fut]
            try:
                results[student] = fut.result()
            except Exception as e:  # noqa: BLE001 - one broken submission never stops the batch
                results[student] = {"error": f"{type(e).__name__}: {e}", "tests": []}
            status = results[student]["error"] or "ok"
            print(f"[{i}/{len(subs)}] {student}: {status}", flush=True)

    path = os.path.join(args.out, "gradebook.csv")
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student", *questions, "total", "error"])
        for student, _ in subs:
            res = results[student]
            by_name = {t["name"]: t for t in res["tests"]}
            scores = [by_name.get(q, {}).get("score", 0) for q in questions]
            writer.writerow([student, *scores, sum(scores), res["error"] or ""])
            safe = re.sub(r"[^A-Za-z0-9_.()-]+", "_", student)
            with open(os.path.join(args.out, "feedback", safe + ".txt"), "w", encoding="utf-8") as fb:
                fb.write(feedback_text(student, res, questions))
    print(f"wrote {path} ({len(subs)} submissions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
