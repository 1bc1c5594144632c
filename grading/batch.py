"""Grade a folder of submissions with an autograder zip: gradebook CSV and feedback files.

    python -m grading.batch SUBMISSIONS --autograder autograder/00_introduction.zip \
        [--out grades/00_introduction] [--assignment 00_introduction] [--jobs 2] [--timeout 600]

SUBMISSIONS is one of
- a Gradescope export ("Download Submissions"): the ``.zip`` itself, or the folder unzip
  makes; its ``submission_metadata.yml`` (at the top, or one folder down as unzip puts
  it) names the submitters of each ``submission_<id>/`` folder beside it;
- nbgrader's ``submitted/`` folder: ``submitted/<student>/<assignment>/<assignment>.ipynb``
  (only the assignment being graded is read: other assignments' notebooks are ignored);
- a folder of notebooks, one per student, named after the student.
The assignment is ``--assignment``, else the autograder zip's name.  Each submission is
graded by ``otter run`` in its own process with a time limit, so a broken submission
cannot stop the batch.  Finding no submission, or none with a notebook, is an error
(exit status 2, nothing written): an export is never graded empty.  Writes ``gradebook.csv`` (one row per submission: student, email,
SID, submission, one column per question, total) and ``feedback/<student>.txt`` into
``--out``, by default ``grades/<assignment>`` in the current folder: in the course folder
git ignores ``grades/`` (student names, emails and scores never reach the repository); an
``--out`` that git would track is reported.
"""

import argparse
import contextlib
import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import zipfile
from concurrent.futures import ThreadPoolExecutor, as_completed

from .otter_run import otter_run
from .otter_tests import verdict_message

GRADESCOPE_METADATA = "submission_metadata.yml"


def _gradescope_export(folder):
    """Submissions of a Gradescope export, or None if ``folder`` is not one."""
    path = os.path.join(folder, GRADESCOPE_METADATA)
    if not os.path.exists(path):
        return None
    import yaml
    with open(path, encoding="utf-8") as f:
        meta = yaml.safe_load(f) or {}
    subs = []
    for sub_id, info in sorted(meta.items()):
        info = info or {}
        people = info.get(":submitters") or info.get("submitters") or []
        field = lambda key: "; ".join(str(p.get(":" + key) or p.get(key) or "") for p in people)  # noqa: E731
        sub_dir = os.path.join(folder, str(sub_id))
        notebooks = []
        if os.path.isdir(sub_dir):
            for dirpath, dirs, files in os.walk(sub_dir):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                notebooks += [os.path.join(dirpath, f) for f in sorted(files)
                              if f.endswith(".ipynb") and not f.startswith(".")]
        subs.append({"student": field("name") or str(sub_id), "email": field("email"),
                     "sid": field("sid"), "submission": str(sub_id),
                     "notebook": notebooks[0] if notebooks else None,
                     "error": None if notebooks else "no notebook in the submission"})
    return subs


class NoSubmissions(Exception):
    """SUBMISSIONS holds nothing to grade (the message says what was looked for)."""


def _visible_dirs(folder):
    return sorted(d for d in os.listdir(folder) if not d.startswith((".", "__MACOSX"))
                  and os.path.isdir(os.path.join(folder, d)))


def gradescope_root(folder):
    """The folder of a Gradescope export holding ``submission_metadata.yml``: ``folder``
    itself or, as unzipping Gradescope's zip makes it, one folder down; None when there
    is none.  Two exports side by side are an error (which one to grade?)."""
    if os.path.exists(os.path.join(folder, GRADESCOPE_METADATA)):
        return folder
    found = [os.path.join(folder, d) for d in _visible_dirs(folder)
             if os.path.exists(os.path.join(folder, d, GRADESCOPE_METADATA))]
    if len(found) > 1:
        raise NoSubmissions(f"{folder} holds several Gradescope exports "
                            f"({', '.join(os.path.basename(f) for f in found)}): give one of them")
    return found[0] if found else None


@contextlib.contextmanager
def opened(path):
    """The folder to read submissions from: ``path`` itself, or a ``.zip`` (a Gradescope
    export as downloaded) extracted into a temporary folder outside the course, removed
    on exit."""
    if os.path.isdir(path):
        yield path
        return
    if not os.path.exists(path):
        raise NoSubmissions(f"{path}: no such file or folder")
    if not zipfile.is_zipfile(path):
        raise NoSubmissions(f"{path} is neither a folder nor a zip file")
    tmp = tempfile.mkdtemp(prefix="rnncourse-export-")
    try:
        with zipfile.ZipFile(path) as z:
            z.extractall(tmp)   # member names are sanitised: nothing lands outside tmp
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _nbgrader_submitted(folder, assignment):
    """Submissions in nbgrader's layout, or None if ``folder`` is not laid out so."""
    if not assignment:
        return None
    students = sorted(d for d in os.listdir(folder)
                      if not d.startswith(".") and os.path.isdir(os.path.join(folder, d)))
    if not any(os.path.isdir(os.path.join(folder, s, assignment)) for s in students):
        return None
    subs = []
    for student in students:
        adir = os.path.join(folder, student, assignment)
        if not os.path.isdir(adir):
            continue  # this student submitted other assignments only
        wanted = os.path.join(adir, assignment + ".ipynb")
        found = wanted if os.path.exists(wanted) else None
        subs.append({"student": student, "email": "", "sid": "", "submission": student,
                     "notebook": found,
                     "error": None if found else f"no {assignment}.ipynb in the submission"})
    return subs


def find_submissions(folder, assignment=None):
    """The submissions in ``folder`` (see the module's docstring), sorted by student:
    dicts with ``student``, ``email``, ``sid``, ``submission``, ``notebook``, ``error``."""
    export = gradescope_root(folder)
    subs = _gradescope_export(export) if export else None
    if subs is None:
        subs = _nbgrader_submitted(folder, assignment)
    if subs is None:
        subs = [{"student": os.path.splitext(f)[0], "email": "", "sid": "", "submission": f,
                 "notebook": os.path.join(folder, f), "error": None}
                for f in sorted(os.listdir(folder))
                if f.endswith(".ipynb") and not f.startswith(".")]
    subs.sort(key=lambda s: (s["student"].lower(), s["submission"]))
    seen = {}
    for s in subs:  # one key per row, even for two submissions of one name
        key = s["student"]
        if key in seen:
            seen[key] += 1
            key = f"{key} ({s['submission']})"
        else:
            seen[key] = 1
        s["key"] = key
    return subs


def expected_layouts(assignment):
    return ("a Gradescope export (its .zip, or the folder unzip makes, with "
            f"{GRADESCOPE_METADATA} at the top or one folder down), nbgrader's submitted/ "
            f"(<student>/{assignment}/{assignment}.ipynb) or a folder of notebooks "
            "named after the students")


def gradable_submissions(folder, assignment, shown=None):
    """:func:`find_submissions`, raising :class:`NoSubmissions` when there is none or
    none of them holds a notebook (``shown``: the path named in the message)."""
    shown = shown or folder
    subs = find_submissions(folder, assignment)
    if not subs:
        raise NoSubmissions(f"no submission found in {shown}; expected "
                            + expected_layouts(assignment))
    if not any(s["notebook"] for s in subs):
        raise NoSubmissions(f"{len(subs)} submission(s) in {shown} but not one notebook "
                            f"among them; expected " + expected_layouts(assignment))
    return subs


def git_would_track(path):
    """True when ``path`` lies in a git work tree and git does not ignore it (student data
    there would show in ``git status``); False outside git or when git is missing."""
    folder = os.path.abspath(path)
    while not os.path.isdir(folder):
        folder = os.path.dirname(folder)
    try:
        inside = subprocess.run(["git", "-C", folder, "rev-parse", "--is-inside-work-tree"],
                                capture_output=True, text=True, timeout=30)
        if inside.returncode != 0 or inside.stdout.strip() != "true":
            return False
        ignored = subprocess.run(["git", "-C", folder, "check-ignore", "-q", "--no-index",
                                  os.path.abspath(path) + os.sep],
                                 capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return ignored.returncode == 1


def warn_if_tracked(path, what):
    if git_would_track(path):
        print(f"warning: {path} is inside a git repository and not ignored: {what} there "
              "would show in `git status` (use a folder git ignores, such as grades/ in the "
              "course folder, or one outside the repository)", file=sys.stderr)


def questions_of(zip_path):
    with zipfile.ZipFile(zip_path) as z:
        names = [n for n in z.namelist() if n.startswith("tests/") and n.endswith(".py")]
    return sorted(os.path.splitext(os.path.basename(n))[0] for n in names)


def grade_one(zip_path, notebook, timeout):
    """Run ``otter run`` in a fresh folder; always returns a result dict."""
    try:
        run = otter_run(zip_path, notebook, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"grading took longer than {timeout} s", "tests": []}
    if run.results is None:
        return {"error": f"the grader failed (exit {run.returncode})", "tests": []}
    return {"error": None, "tests": run.tests, "seconds": round(run.seconds, 1)}


def feedback_text(student, result, questions):
    by_name = {t["name"]: t for t in result["tests"]}
    lines = [f"Feedback for {student}", ""]
    if result["error"]:
        lines += [f"Grading error: {result['error']}", ""]
    for q in questions:
        t = by_name.get(q, {})
        score, max_score = t.get("score", 0), t.get("max_score", "?")
        lines.append(f"{q}: {score}/{max_score}")
        message = verdict_message(t.get("output", ""))
        if t and score != max_score and message:
            lines.append(textwrap.indent(message, "    "))
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("submissions")
    parser.add_argument("--autograder", required=True)
    parser.add_argument("--out", help="default: grades/<assignment> (git ignores grades/)")
    parser.add_argument("--assignment", help="default: the autograder zip's name")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args(argv)

    assignment = args.assignment or os.path.splitext(os.path.basename(args.autograder))[0]
    out = args.out or os.path.join("grades", assignment)
    try:
        with opened(args.submissions) as folder:
            subs = gradable_submissions(folder, assignment, shown=args.submissions)
            return grade_all(args, assignment, subs, out)
    except NoSubmissions as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


def grade_all(args, assignment, subs, out):
    questions = questions_of(args.autograder)
    warn_if_tracked(out, "the gradebook and feedback (student names, emails, scores)")
    os.makedirs(os.path.join(out, "feedback"), exist_ok=True)
    results = {}
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {pool.submit(grade_one, args.autograder, s["notebook"], args.timeout): s["key"]
                   for s in subs if s["notebook"]}
        for s in subs:
            if not s["notebook"]:
                results[s["key"]] = {"error": s["error"], "tests": []}
        for i, fut in enumerate(as_completed(futures), 1):
            key = futures[fut]
            try:
                results[key] = fut.result()
            except Exception as e:  # noqa: BLE001 - one broken submission never stops the batch
                results[key] = {"error": f"{type(e).__name__}: {e}", "tests": []}
            status = results[key]["error"] or "ok"
            print(f"[{i}/{len(futures)}] {key}: {status}", flush=True)

    path = os.path.join(out, "gradebook.csv")
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "email", "sid", "submission", *questions, "total", "error"])
        for s in subs:
            res = results[s["key"]]
            by_name = {t["name"]: t for t in res["tests"]}
            scores = [by_name.get(q, {}).get("score", 0) for q in questions]
            writer.writerow([s["key"], s["email"], s["sid"], s["submission"], *scores,
                             sum(scores), res["error"] or ""])
            safe = re.sub(r"[^A-Za-z0-9_.()@-]+", "_", s["key"])
            with open(os.path.join(out, "feedback", safe + ".txt"), "w", encoding="utf-8") as fb:
                fb.write(feedback_text(s["key"], res, questions))
    print(f"wrote {path} ({len(subs)} submissions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
