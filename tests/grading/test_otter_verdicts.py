"""Scores reach Otter through the plugin's ``after_grading`` hook: the zip's test files
only name each question and its points; the verdicts decide score and message, one line
per question in Gradescope's results (tests/e2e runs the whole ``otter run``)."""

import pytest
from otter.run.run_autograder.autograder_config import AutograderConfig
from otter.test_files import GradingResults
from otter.test_files.exception_test import ExceptionTestFile

from grading.isolation import MachineryError
from grading.otter_plugin import record_verdicts
from grading.otter_tests import NOT_GRADED, question_file_source, verdict_message
from grading.records import Verdict

POINTS = {"lorenz_rhs": 2, "hopf_rho": 1}


def otter_results(tmp_path):
    """Otter's results of running the zip's test files (as on an empty notebook; the
    feedback policy applies to what Otter writes of them: tests/instructor)."""
    files = []
    for name, points in POINTS.items():
        path = tmp_path / f"{name}.py"
        path.write_text(question_file_source(name, points))
        test_file = ExceptionTestFile.from_file(str(path))
        test_file.run({})
        files.append(test_file)
    return GradingResults(files)


def gradescope(results):
    config = AutograderConfig({"show_hidden": False, "show_all_public": True})
    return {t["name"]: t for t in results.to_gradescope_dict(config)["tests"] if "score" in t}


MESSAGE = "lorenz_rhs on a batch of shape (5, 3): values differ\n(second line of the message)"
VERDICTS = [Verdict("lorenz_rhs", 0, 2, MESSAGE), Verdict("hopf_rho", 1, 1, "passed")]


def test_without_the_plugin_nothing_is_awarded(tmp_path):
    results = otter_results(tmp_path)
    for name, entry in gradescope(results).items():
        assert entry["score"] == 0 and entry["max_score"] == POINTS[name]
        assert NOT_GRADED in verdict_message(entry["output"])


def test_verdicts_decide_scores_and_messages(tmp_path):
    results = otter_results(tmp_path)
    record_verdicts(results, VERDICTS)
    tests = gradescope(results)
    assert {n: (t["score"], t["max_score"]) for n, t in tests.items()} == {
        "lorenz_rhs": (0, 2), "hopf_rho": (1, 1)}
    assert verdict_message(tests["lorenz_rhs"]["output"]) == MESSAGE
    assert verdict_message(tests["hopf_rho"]["output"]) == ""
    assert NOT_GRADED not in tests["lorenz_rhs"]["output"] + tests["hopf_rho"]["output"]


def test_a_question_without_a_verdict_is_the_graders_failure(tmp_path):
    results = otter_results(tmp_path)
    with pytest.raises(MachineryError, match="hopf_rho"):
        record_verdicts(results, VERDICTS[:1])
    with pytest.raises(MachineryError, match="extra"):
        record_verdicts(otter_results(tmp_path), [*VERDICTS, Verdict("extra", 1, 1, "")])


def test_points_that_disagree_are_the_graders_failure(tmp_path):
    results = otter_results(tmp_path)
    with pytest.raises(MachineryError, match="worth 1 points"):
        record_verdicts(results, [VERDICTS[0], Verdict("hopf_rho", 3, 3, "passed")])
