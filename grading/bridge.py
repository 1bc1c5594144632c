"""Otter test files for the autograder zip: one per question, reporting a verdict.

The verdicts come from :mod:`grading.otter_plugin`; the bridge files hold no
checks and no reference values.
"""

TEMPLATE = '''"""Reports the sandboxed grader's verdict for question {name!r}."""
from otter.test_files import test_case

OK_FORMAT = False

name = {name!r}
points = {points!r}


@test_case(points={points!r}, hidden=False)
def verdict():
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
    if verdict["score"] < verdict["max_score"]:
        raise AssertionError(verdict["message"])
'''


def bridge_source(name, points):
    from .otter_plugin import RESULTS_ENV
    return TEMPLATE.format(name=name, points=points, env=RESULTS_ENV)
