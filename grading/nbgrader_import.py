"""Lay submissions out as nbgrader's ``submitted/`` folder, without an exchange.

    python -m grading.nbgrader_import SUBMISSIONS ASSIGNMENT [--course .]

``nbgrader collect`` needs an nbgrader exchange (JupyterHub).  Without one, submissions
come from Gradescope ("Download Submissions": the ``.zip`` itself or the folder unzip
makes) or as a folder of notebooks named after the students; this copies each one to
``submitted/<student>/<ASSIGNMENT>/<ASSIGNMENT>.ipynb``, where ``nbgrader autograde``
and the formgrader find it.  The student id is the submitter's email in a Gradescope
export (several submitters: the first one's), else the notebook's name.  Finding no
submission, or none with a notebook, is an error (exit status 2, nothing copied).
"""

import argparse
import os
import re
import shutil
import sys

from .batch import NoSubmissions, gradable_submissions, opened, warn_if_tracked


def student_id(sub):
    email = sub["email"].split(";")[0].strip()
    raw = email or sub["student"]
    return re.sub(r"[^A-Za-z0-9_.@+-]+", "_", raw).strip("_") or sub["submission"]


def import_submissions(source, assignment, course="."):
    """Copy the submissions in ``source`` (a folder or a Gradescope export's ``.zip``)
    into ``course/submitted``; return ``[(student_id, path or None)]`` (None: the
    submission held no notebook).  Raises :class:`grading.batch.NoSubmissions` when
    there is nothing to import."""
    done = []
    with opened(source) as folder:
        subs = gradable_submissions(folder, assignment, shown=source)
        warn_if_tracked(os.path.join(course, "submitted"), "the students' notebooks")
        for sub in subs:
            sid = student_id(sub)
            if not sub["notebook"]:
                done.append((sid, None))
                continue
            dest = os.path.join(course, "submitted", sid, assignment)
            os.makedirs(dest, exist_ok=True)
            path = os.path.join(dest, assignment + ".ipynb")
            shutil.copy(sub["notebook"], path)
            done.append((sid, path))
    return done


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("submissions")
    parser.add_argument("assignment")
    parser.add_argument("--course", default=".", help="the course folder (default: here)")
    args = parser.parse_args(argv)
    try:
        done = import_submissions(args.submissions, args.assignment, args.course)
    except NoSubmissions as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for sid, path in done:
        print(f"{sid}: {path or 'no notebook in this submission (skipped)'}")
    print(f"imported {sum(1 for _, p in done if p)} of {len(done)} submissions into "
          f"{os.path.join(args.course, 'submitted')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
