"""Course-wide settings that the build (``tools/course.py``) writes into the autograders.

Feedback policy: what students see on Gradescope of the hidden checks' verdicts
(README, "Feedback policy"; :mod:`grading.feedback` writes it into ``results.json``).
Rebuild the zips (``make build`` or ``python -m tools.course autograder``) and re-upload
them after changing it.

- ``"immediate"``: every question's score and the grader's message as soon as grading
  ends.  Students can fix and resubmit before the deadline; with unlimited resubmissions
  the verdicts are an oracle for the hidden checks (the messages say what was checked,
  never the expected values).
- ``"after_due_date"``: until the due date (the late due date, if late submissions are
  allowed) each question shows only "submitted; hidden results appear after the due
  date", and the total is hidden; then scores and messages appear by themselves.
- ``"after_publish"``: the same until you publish grades in Gradescope.
"""

from grading.feedback import POLICIES  # noqa: F401 - ("immediate", "after_due_date", "after_publish")

FEEDBACK = "immediate"

# Exceptions per assignment, e.g. {"05_synthesis": "after_publish"}.
FEEDBACK_BY_ASSIGNMENT = {}


def feedback_policy(name):
    policy = FEEDBACK_BY_ASSIGNMENT.get(name, FEEDBACK)
    if policy not in POLICIES:
        raise ValueError(f"feedback policy of {name}: {policy!r} is not one of {POLICIES}")
    return policy
