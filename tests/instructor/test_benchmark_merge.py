"""`python -m tools.benchmark --only NAME` replaces that assignment's row of
benchmarks/latest.* and keeps every other one (the merge only: the benchmark itself
takes minutes and runs by hand)."""

import json
import os

from notebooks import ROOT
from tools.assignments import ASSIGNMENTS
from tools.benchmark import markdown, merge_rows

ORDER = [a.name for a in ASSIGNMENTS]


def row(name, seconds):
    return {"assignment": name, "solution_seconds": seconds, "grading_wall_seconds": 1.0,
            "grading_cpu_seconds": 1.0, "grading_peak_mb": 100, "score": 1, "max_score": 1}


def test_only_replaces_its_row_and_keeps_the_others():
    previous = [row(n, 10.0) for n in ORDER]
    merged = merge_rows(previous, [row("00_introduction", 99.0)], ORDER)
    assert [r["assignment"] for r in merged] == ORDER
    assert [r["solution_seconds"] for r in merged] == [99.0] + [10.0] * (len(ORDER) - 1)
    assert "| 00_introduction | 99.0 |" in markdown(merged) and "| 05_synthesis | 10.0 |" in markdown(merged)


def test_new_rows_take_the_manifests_order_and_unknown_ones_go_last():
    previous = [row("05_synthesis", 1.0), row("99_retired", 1.0)]
    merged = merge_rows(previous, [row("01_continuous_time_rnn", 2.0)], ORDER)
    assert [r["assignment"] for r in merged] == ["01_continuous_time_rnn", "05_synthesis", "99_retired"]
    assert merge_rows([], [row("00_introduction", 1.0)], ORDER) == [row("00_introduction", 1.0)]


def test_a_full_run_replaces_every_row():
    previous = [row(n, 10.0) for n in ORDER]
    fresh = [row(n, 5.0) for n in reversed(ORDER)]
    assert merge_rows(previous, fresh, ORDER) == [row(n, 5.0) for n in ORDER]


def test_latest_json_merges_into_itself():
    """The stored rows, merged with one of their own, are unchanged."""
    with open(os.path.join(ROOT, "benchmarks", "latest.json")) as f:
        rows = json.load(f)["rows"]
    assert merge_rows(rows, [rows[0]], ORDER) == rows
