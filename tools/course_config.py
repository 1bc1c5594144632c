"""Course-wide settings that the build (``tools/course.py``) writes into the autograders.

Feedback policy: what students see on Gradescope of the hidden checks' verdicts
(README, "Feedback policy").  Rebuild the zips (``make build`` or
``python -m tools.course autograder``) and re-upload them after changing it.

- ``"immediate"``: every question's score and the grader's message as soon as grading
  ends.  Students can fix and resubmit before the deadline; with unlimited resubmissions
  the verdicts are an oracle for the hidden checks (the messages say what was checked,
  never the expected values).
- ``"after_publish"``: until you publish grades, each question only says whether it was
  graded (a 0-point public line); its score and message appear when grades are
  published.  Students learn from the public checks only while the assignment is open.
"""

FEEDBACK = "immediate"

# Exceptions per assignment, e.g. {"05_synthesis": "after_publish"}.
FEEDBACK_BY_ASSIGNMENT = {}

POLICIES = ("immediate", "after_publish")


def feedback_policy(name):
    policy = FEEDBACK_BY_ASSIGNMENT.get(name, FEEDBACK)
    if policy not in POLICIES:
        raise ValueError(f"feedback policy of {name}: {policy!r} is not one of {POLICIES}")
    return policy
