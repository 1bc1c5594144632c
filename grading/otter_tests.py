"""Otter's test files for the autograder zip: one per question, naming it and its points.

They check nothing and hold no reference values: the question is graded in the sandbox
before Otter runs its tests, and :func:`grading.otter_plugin.record_verdicts` (the
plugin's ``after_grading``) writes the verdict into Otter's results.  Run without the
plugin, every case fails with :data:`NOT_GRADED`, so such a zip awards no point.

One public test case per question, with all its points.  What the student sees of it,
and when, is the course's feedback policy (``tools/course_config.py``), which the
plugin applies to the results Otter writes (:mod:`grading.feedback`): the test files are
the same under every policy.
"""

import textwrap

NOT_GRADED = "not graded: the course's Otter plugin (grading.otter_plugin) gave no verdict"

HEADER = '''"""Question {name!r}: graded in the sandbox; grading.otter_plugin writes in its verdict."""
from otter.test_files import test_case

OK_FORMAT = False

name = {name!r}
points = {points!r}


@test_case(points={points!r}, hidden=False)
def verdict():
    raise AssertionError({not_graded!r})
'''


def question_file_source(name, points):
    """The source of question ``name``'s test file, worth ``points``."""
    return HEADER.format(name=name, points=points, not_graded=NOT_GRADED)


def verdict_message(output):
    """The grader's message in Otter's output for one question (the ``output`` of its
    entry in ``results.json``: Otter's summary of its test cases, the verdict case last),
    or "" when the verdict case reports none (it passed)."""
    lines = (output or "").splitlines()
    heads = [i for i, line in enumerate(lines) if line.rstrip().endswith(" result:")]
    if not heads:
        return ""
    return textwrap.dedent("\n".join(lines[heads[-1] + 1:])).strip()
