"""The README shows the latest benchmark's table (written by ``python -m tools.benchmark``)."""

import os

from notebooks import ROOT
from tools.benchmark import TABLE_END, TABLE_START, table_of


def test_readme_shows_the_latest_benchmark_table():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    shown = readme[readme.index(TABLE_START) + len(TABLE_START):readme.index(TABLE_END)].strip()
    with open(os.path.join(ROOT, "benchmarks", "latest.md"), encoding="utf-8") as f:
        latest = f.read()
    assert shown == table_of(latest), "run python -m tools.benchmark (it rewrites the README table)"


def test_readme_quality_figures_are_the_latest_benchmarks():
    """The README's quality sentence is written by the benchmark from its own run, never
    typed by hand."""
    import json
    from tools.benchmark import QUALITY_END, QUALITY_START, quality_sentence
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    shown = readme[readme.index(QUALITY_START) + len(QUALITY_START):readme.index(QUALITY_END)].strip()
    with open(os.path.join(ROOT, "benchmarks", "latest.json"), encoding="utf-8") as f:
        rows = json.load(f)["rows"]
    assert shown == quality_sentence(rows), "run python -m tools.benchmark (it rewrites the README)"


def test_readme_shows_the_current_workload_table():
    from tools.workload import README_END, README_START, course_workload, table
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    shown = readme[readme.index(README_START) + len(README_START):readme.index(README_END)].strip()
    assert shown == table(course_workload()), "run python -m tools.workload --readme"
