"""The feedback policy (tools/course_config.py) reaches Gradescope's results: "immediate"
shows each question's score and message at once; "after_publish" shows only that each
question was graded until grades are published.  Messages never echo the student's
exception text or how far a value is from the expected one."""

import json

import pytest

from notebooks import variant
from tools.course import build_autograder, otter_grade
from tools.course_config import POLICIES, feedback_policy
from tools.assignments import ASSIGNMENTS

NAME = "00_introduction"
SECRET = "EXFILTRATED"


def submission(tmp_path):
    """hopf_rho wrong; lorenz_rhs raises with the grader's input in its message."""
    leak = ("def lorenz_rhs(state, sigma=10.0, rho=28.0, beta=8/3):\n"
            f"    raise ValueError('{SECRET} ' + repr(state.tolist())[:150])\n")
    wrong = "def hopf_rho(sigma=10.0, beta=8/3):\n    return sigma * (sigma + beta + 3) / (sigma - beta + 1)\n"
    return variant(NAME, tmp_path, replace={"lorenz_rhs": leak, "hopf_rho": wrong})


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("feedback")
    nb = submission(tmp)
    out = {}
    for policy in POLICIES:
        zip_path = build_autograder(NAME, out_dir=str(tmp / policy), stage_root=str(tmp / ("stage-" + policy)),
                                    feedback=policy)
        run_dir = tmp / ("run-" + policy)
        run_dir.mkdir()
        out[policy] = otter_grade(zip_path, nb, out_dir=str(run_dir))[3]
    return out


def questions(results):
    return {t["name"]: t for t in results["tests"] if t["name"] != "Public Tests"}


def test_immediate_shows_scores_and_messages_at_once(results):
    qs = questions(results["immediate"])
    assert all(t.get("visibility") == "visible" for t in qs.values())
    assert qs["hopf_rho"]["score"] == 0 and "hopf_rho" in qs["hopf_rho"]["output"]
    assert qs["lorenz_fixed_points"]["score"] == qs["lorenz_fixed_points"]["max_score"]


def test_after_publish_hides_scores_and_messages_until_published(results):
    res = results["after_publish"]
    qs = questions(res)
    assert all(t.get("visibility") == "after_published" for t in qs.values())
    assert qs["hopf_rho"]["score"] == 0 and qs["hopf_rho"]["max_score"] == 1  # kept for publishing
    visible = [t for t in res["tests"] if t.get("visibility", "visible") == "visible"]
    assert visible, "students see at least that the submission was graded"
    shown = json.dumps(visible)
    assert "hopf_rho" in shown and "values differ" not in shown and "raised" not in shown
    scores = {q: t["score"] for q, t in qs.items()}
    assert scores == {q: t["score"] for q, t in questions(results["immediate"]).items()}


def test_messages_do_not_echo_what_the_grader_passed(results):
    for res in results.values():
        text = json.dumps(res)
        assert SECRET not in text and "largest difference" not in text
        lorenz = questions(res)["lorenz_rhs"]
        assert lorenz["score"] == 0 and "ValueError" in lorenz["output"]


def test_every_assignment_has_a_valid_policy():
    for a in ASSIGNMENTS:
        assert feedback_policy(a["name"]) in POLICIES
