"""Scores reach Otter through the plugin's ``after_grading`` hook: the zip's test files
only name each question and its points; the verdicts decide score and message, one line
per question in Gradescope's results (tests/e2e runs the whole ``otter run``)."""

import pytest
from otter.run.run_autograder.autograder_config import AutograderConfig
from otter.test_files import GradingResults
from otter.test_files.exception_test import ExceptionTestFile

from grading.isolation import MachineryError
from grading.otter_plugin import record_verdicts
from grading.otter_tests import GRADED_MESSAGE, NOT_GRADED, question_file_source, verdict_message
from grading.records import Verdict

POINTS = {"lorenz_rhs": 2, "hopf_rho": 1}


def otter_results(tmp_path, after_publish):
    """Otter's results of running the zip's test files (as on an empty notebook)."""
    files = []
    for name, points in POINTS.items():
        path = tmp_path / f"{name}.py"
        path.write_text(question_file_source(name, points, after_publish=after_publish))
        test_file = ExceptionTestFile.from_file(str(path))
        test_file.run({})
        files.append(test_file)
    return GradingResults(files)


def gradescope(results, after_publish):
    config = AutograderConfig({"show_hidden": after_publish, "show_all_public": not after_publish})
    return {t["name"]: t for t in results.to_gradescope_dict(config)["tests"] if "score" in t}


MESSAGE = "lorenz_rhs on a batch of shape (5, 3): values differ\n(second line of the message)"
VERDICTS = [Verdict("lorenz_rhs", 0, 2, MESSAGE), Verdict("hopf_rho", 1, 1, "passed")]


@pytest.mark.parametrize("after_publish", [False, True])
def test_without_the_plugin_nothing_is_awarded(tmp_path, after_publish):
    results = otter_results(tmp_path, after_publish)
    for name, entry in gradescope(results, after_publish).items():
        assert entry["score"] == 0 and entry["max_score"] == POINTS[name]
        assert NOT_GRADED in verdict_message(entry["output"])


@pytest.mark.parametrize("after_publish", [False, True])
def test_verdicts_decide_scores_and_messages(tmp_path, after_publish):
    results = otter_results(tmp_path, after_publish)
    record_verdicts(results, VERDICTS)
    tests = gradescope(results, after_publish)
    assert {n: (t["score"], t["max_score"]) for n, t in tests.items()} == {
        "lorenz_rhs": (0, 2), "hopf_rho": (1, 1)}
    assert verdict_message(tests["lorenz_rhs"]["output"]) == MESSAGE
    assert verdict_message(tests["hopf_rho"]["output"]) == ""
    assert NOT_GRADED not in tests["lorenz_rhs"]["output"] + tests["hopf_rho"]["output"]
    if after_publish:   # the public line says only that the question was graded
        public = results.summary(public_only=True)
        assert GRADED_MESSAGE in public and MESSAGE.splitlines()[0] not in public


def test_a_question_without_a_verdict_is_the_graders_failure(tmp_path):
    results = otter_results(tmp_path, False)
    with pytest.raises(MachineryError, match="hopf_rho"):
        record_verdicts(results, VERDICTS[:1])
    with pytest.raises(MachineryError, match="extra"):
        record_verdicts(otter_results(tmp_path, False), [*VERDICTS, Verdict("extra", 1, 1, "")])


def test_points_that_disagree_are_the_graders_failure(tmp_path):
    results = otter_results(tmp_path, False)
    with pytest.raises(MachineryError, match="worth 1 points"):
        record_verdicts(results, [VERDICTS[0], Verdict("hopf_rho", 3, 3, "passed")])
