"""Feedback policies: what a student sees of the hidden checks' verdicts in Gradescope's
``results.json`` (chosen in ``tools/course_config.py``, written into the zip's plugin
configuration, applied by :mod:`grading.otter_plugin` when Otter writes the results).

- ``"immediate"``: each question's score and the grader's message as soon as grading
  ends (Otter's own results, unchanged).
- ``"after_due_date"`` / ``"after_publish"``: until the results are released (the
  assignment's due date has passed, late due date included; grades are published from
  Gradescope's "Review Grades" page), each question shows one neutral line, "submitted;
  hidden results appear after ...", and nothing else: no score, no message, no total.
  Each question's scored entry and the total carry Gradescope's visibility
  ``after_due_date`` / ``after_published``, so Gradescope shows them on release; the
  top-level visibility hides the total until then.  Nothing is left to a Gradescope
  setting.
"""

POLICIES = ("immediate", "after_due_date", "after_publish")

RELEASE = {  # policy -> (Gradescope's visibility value, when the results appear)
    "after_due_date": ("after_due_date", "the due date"),
    "after_publish": ("after_published", "grades are published"),
}
PUBLIC_SUMMARY = "Public Tests"   # Otter's summary of its public test cases


def pending_message(policy):
    """The neutral line a question shows before its results are released."""
    return f"submitted; hidden results appear after {RELEASE[policy][1]}"


def pending_name(question):
    return f"{question}: submitted"


def check_policy(policy):
    if policy not in POLICIES:
        raise ValueError(f"feedback policy {policy!r} is not one of {POLICIES}")
    return policy


def apply_policy(output, policy):
    """Otter's Gradescope results (``output``: the dict written to ``results.json``) as
    ``policy`` shows them; a new dict.  Results without question entries (Otter's
    "Autograder Failed") are left as they are: a failure is always reported."""
    check_policy(policy)
    questions = [t for t in output.get("tests", []) if "max_score" in t]
    if policy == "immediate" or not questions:
        return output
    visibility, _ = RELEASE[policy]
    others = [t for t in output["tests"]
              if "max_score" not in t and t.get("name") != PUBLIC_SUMMARY]
    pending = [{"name": pending_name(t["name"]), "visibility": "visible",
                "output": pending_message(policy)} for t in questions]
    released = [dict(t, visibility=visibility) for t in questions]
    out = {k: v for k, v in output.items() if k not in ("tests", "output")}
    out["score"] = output.get("score", sum(t.get("score", 0) for t in questions))
    out["visibility"] = visibility          # the total, and any entry without its own
    out["stdout_visibility"] = "hidden"     # the grading log is for instructors
    out["tests"] = pending + others + released
    if "output" in output:                  # text above the tests: shown on release only
        out["tests"].append({"name": "Output", "visibility": visibility,
                             "output": output["output"]})
    return out


def student_view(output, released=False):
    """The entries of ``output`` a student sees: before release (``released=False``)
    those marked visible; after it, all but the hidden ones.  And whether the total
    shows.  (Gradescope's rules, for tests and for checking a zip by hand.)"""
    top = output.get("visibility", "visible")
    shown = ({"visible"} if not released else {"visible", "after_due_date", "after_published"})
    tests = [t for t in output.get("tests", []) if t.get("visibility", top) in shown]
    return tests, top in shown
