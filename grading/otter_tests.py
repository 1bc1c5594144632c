"""Otter test files for the autograder zip: one per question, reporting a verdict.

The verdicts come from :mod:`grading.otter_plugin`; the bridge files hold no
checks and no reference values.  Two visibilities (the course's feedback policy,
``tools/course_config.py``):

- immediate: one public test case with all the points: Gradescope shows the score and
  the grader's message at once (with ``show_all_public``);
- after publishing: a 0-point public case that only says whether the question was
  graded, and a hidden case with all the points, the score and the message, which
  Gradescope shows once grades are published (with ``show_hidden``).
"""

HEADER = '''"""Reports the sandboxed grader's verdict for question {name!r}."""
from otter.test_files import test_case

OK_FORMAT = False

name = {name!r}
points = {points!r}


def _verdict():
    import json
    import os

    path = os.environ.get("{env}")
    if not path or not os.path.exists(path):
        raise AssertionError("not graded: the sandboxed grader did not run")
    with open(path, encoding="utf-8") as f:
        questions = {{q["name"]: q for q in json.load(f)["questions"]}}
    verdict = questions.get(name)
    if verdict is None:
        raise AssertionError("not graded")
    return verdict
'''

IMMEDIATE = '''

@test_case(points={points!r}, hidden=False)
def verdict():
    verdict = _verdict()
    if verdict["score"] < verdict["max_score"]:
        raise AssertionError(verdict["message"])
'''

AFTER_PUBLISH = '''

@test_case(points=0, hidden=False,
           success_message="graded; the score and message appear when grades are published")
def graded():
    _verdict()


@test_case(points={points!r}, hidden=True)
def verdict():
    verdict = _verdict()
    if verdict["score"] < verdict["max_score"]:
        raise AssertionError(verdict["message"])
'''


def bridge_source(name, points, after_publish=False):
    from .otter_plugin import RESULTS_ENV
    body = AFTER_PUBLISH if after_publish else IMMEDIATE
    return (HEADER + body).format(name=name, points=points, env=RESULTS_ENV)
