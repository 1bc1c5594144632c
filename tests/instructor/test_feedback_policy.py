"""The feedback policy (tools/course_config.py, grading/feedback.py) is in Gradescope's
results.json itself, with no Gradescope setting to remember: "immediate" shows each
question's score and message at once; "after_due_date" and "after_publish" show, until
the results are released, one neutral line per question ("submitted; hidden results
appear after ...") and no total, then the scores and messages.  Messages never echo the
student's exception text or how far a value is from the expected one.

Fast tests drive the plugin's hook on Otter's own results objects; the module's
fixture builds a zip under each policy and reads the results.json `otter run` writes."""

import json

import pytest
from otter.run.run_autograder.autograder_config import AutograderConfig
from otter.test_files import GradingResults
from otter.test_files.exception_test import ExceptionTestFile

from grading.feedback import POLICIES as GRADING_POLICIES
from grading.feedback import apply_policy, pending_message, student_view
from grading.otter_plugin import TrustedGrading
from grading.otter_tests import question_file_source
from grading.records import Verdict
from notebooks import variant
from tools.assignments import ASSIGNMENTS
from tools.course import build_autograder, otter_grade, stage_autograder
from tools.course_config import POLICIES, feedback_policy

NAME = "00_introduction"
SECRET = "EXFILTRATED"
DEFERRED = {"after_due_date": ("after_due_date", "the due date"),
            "after_publish": ("after_published", "grades are published")}


# ---- fast: the plugin's hook on Otter's results ------------------------------------------
POINTS = {"lorenz_rhs": 2, "hopf_rho": 1}
MESSAGE = "lorenz_rhs on a batch of shape (5, 3): values differ"
VERDICTS = [Verdict("lorenz_rhs", 0, 2, MESSAGE), Verdict("hopf_rho", 1, 1, "passed")]


def written_results(tmp_path, policy, config):
    """What Otter writes into results.json after the plugin's after_grading, with the
    zip's own otter_config (``config``, from tools/course.py stage_autograder)."""
    files = []
    for name, points in POINTS.items():
        path = tmp_path / f"{name}.py"
        path.write_text(question_file_source(name, points))
        test_file = ExceptionTestFile.from_file(str(path))
        test_file.run({})
        files.append(test_file)
    results = GradingResults(files)
    plugin = TrustedGrading(str(tmp_path / "nb.ipynb"), {}, {"feedback": policy})
    plugin._verdicts = VERDICTS
    plugin.after_grading(results)
    config = {k: v for k, v in config.items() if k in ("show_all_public", "show_hidden")}
    config["points_possible"] = sum(POINTS.values())
    return json.loads(json.dumps(results.to_gradescope_dict(AutograderConfig(config))))


@pytest.fixture(params=POLICIES)
def policy_results(request, tmp_path):
    stage = stage_autograder(NAME, stage_root=str(tmp_path / "stage"), feedback=request.param)
    with open(f"{stage}/otter_config.json", encoding="utf-8") as f:
        config = json.load(f)
    assert config["plugins"][0]["grading.otter_plugin.TrustedGrading"]["feedback"] == request.param
    return request.param, written_results(tmp_path, request.param, config)


def by_name(tests):
    return {t["name"]: t for t in tests}


def test_policies_are_the_graders():
    assert tuple(POLICIES) == GRADING_POLICIES == ("immediate", "after_due_date", "after_publish")


def test_each_policy_in_results_json(policy_results):
    policy, res = policy_results
    before, total_before = student_view(res, released=False)
    after, total_after = student_view(res, released=True)
    assert res["score"] == 1                 # Gradescope records the grade under every policy
    assert total_after
    if policy == "immediate":
        assert total_before
        shown = by_name(before)
        assert shown["lorenz_rhs"]["score"] == 0 and MESSAGE in shown["lorenz_rhs"]["output"]
        assert shown["hopf_rho"]["score"] == 1
        return
    visibility, when = DEFERRED[policy]
    assert res["visibility"] == visibility and not total_before
    # before release: one neutral line per question, nothing else
    assert sorted(t["name"] for t in before) == ["hopf_rho: submitted", "lorenz_rhs: submitted"]
    for t in before:
        assert t["output"] == f"submitted; hidden results appear after {when}"
        assert t["output"] == pending_message(policy)
        assert "score" not in t and "max_score" not in t and "status" not in t
    text = json.dumps(before)
    assert "passed" not in text.lower() and "values differ" not in text
    # on release: each question's score and message
    released = by_name(after)
    assert released["lorenz_rhs"]["visibility"] == visibility
    assert (released["lorenz_rhs"]["score"], released["lorenz_rhs"]["max_score"]) == (0, 2)
    assert MESSAGE in released["lorenz_rhs"]["output"]
    assert (released["hopf_rho"]["score"], released["hopf_rho"]["max_score"]) == (1, 1)


def test_an_autograder_failure_is_always_shown():
    failed = {"tests": [{"name": "Autograder Failed", "visibility": "visible", "output": "..."}],
              "score": 0}
    for policy in POLICIES:
        assert apply_policy(failed, policy) == failed


def test_an_unknown_policy_is_refused(tmp_path):
    with pytest.raises(ValueError, match="after_due_date"):
        stage_autograder(NAME, stage_root=str(tmp_path), feedback="after_deadline")
    with pytest.raises(ValueError, match="not one of"):
        apply_policy({"tests": []}, "after_deadline")


def test_every_assignment_has_a_valid_policy():
    for a in ASSIGNMENTS:
        assert feedback_policy(a["name"]) in POLICIES


# ---- the real zip, graded by `otter run`, under each policy ----------------------------------
def submission(tmp_path):
    """lorenz_jacobian wrong (transposed); lorenz_rhs raises with the grader's input in its
    message."""
    leak = ("def lorenz_rhs(state, sigma=10.0, rho=28.0, beta=8/3):\n"
            f"    raise ValueError('{SECRET} ' + repr(state.tolist())[:150])\n")
    wrong = ("def lorenz_jacobian(state, sigma=10.0, rho=28.0, beta=8/3):\n    x, y, z = state\n"
             "    return np.array([[-sigma, sigma, 0.0], [rho - z, -1.0, -x], [y, x, -beta]]).T\n")
    return variant(NAME, tmp_path, replace={"lorenz_rhs": leak, "lorenz_jacobian": wrong})


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """results.json of one submission under each policy (about 20 s a policy)."""
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


def questions(res):
    return {t["name"]: t for t in res["tests"] if "max_score" in t}


@pytest.mark.slow
def test_immediate_shows_scores_and_messages_at_once(results):
    res = results["immediate"]
    qs = questions(res)
    assert all(t.get("visibility") == "visible" for t in qs.values())
    assert "visibility" not in res
    assert qs["lorenz_jacobian"]["score"] == 0 and "lorenz_jacobian" in qs["lorenz_jacobian"]["output"]
    assert qs["lorenz_fixed_points"]["score"] == qs["lorenz_fixed_points"]["max_score"]


@pytest.mark.slow
@pytest.mark.parametrize("policy", sorted(DEFERRED))
def test_deferred_policies_show_a_neutral_line_per_question_until_released(results, policy):
    res = results[policy]
    visibility, when = DEFERRED[policy]
    qs = questions(res)
    before, total_shown = student_view(res, released=False)
    assert not total_shown and res["visibility"] == visibility
    assert sorted(t["name"] for t in before) == sorted(f"{q}: submitted" for q in qs)
    assert {t["output"] for t in before} == {f"submitted; hidden results appear after {when}"}
    shown = json.dumps(before)
    assert "score" not in shown and "passed" not in shown.lower() and "values differ" not in shown
    assert all(t["visibility"] == visibility for t in qs.values())
    assert qs["lorenz_jacobian"]["score"] == 0 and qs["lorenz_jacobian"]["max_score"] == 2  # kept for release
    after, _ = student_view(res, released=True)
    assert {t["name"] for t in after} >= set(qs)
    scores = {q: t["score"] for q, t in qs.items()}
    assert scores == {q: t["score"] for q, t in questions(results["immediate"]).items()}
    assert res["score"] == results["immediate"]["score"]


@pytest.mark.slow
def test_messages_do_not_echo_what_the_grader_passed(results):
    for res in results.values():
        text = json.dumps(res)
        assert SECRET not in text and "largest difference" not in text
        lorenz = questions(res)["lorenz_rhs"]
        assert lorenz["score"] == 0 and "ValueError" in lorenz["output"]
