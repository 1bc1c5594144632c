"""The README's generated sections are current: the latest benchmark's table and quality
sentence (written by ``python -m tools.benchmark``) and the workload table (written by
``python -m tools.workload --readme``)."""

import json
import os

import pytest

from notebooks import ROOT
from tools.benchmark import QUALITY_END, QUALITY_START, TABLE_END, TABLE_START, quality_sentence, table_of
from tools.readme import section
from tools.workload import README_END, README_START, course_workload, table


@pytest.fixture(scope="module")
def readme():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        return f.read()


def test_readme_shows_the_latest_benchmark_table(readme):
    with open(os.path.join(ROOT, "benchmarks", "latest.md"), encoding="utf-8") as f:
        latest = f.read()
    assert section(readme, TABLE_START, TABLE_END) == table_of(latest), \
        "run python -m tools.benchmark (it rewrites the README table)"


def test_readme_quality_figures_are_the_latest_benchmarks(readme):
    """The README's quality sentence is written by the benchmark from its own run, never
    typed by hand."""
    with open(os.path.join(ROOT, "benchmarks", "latest.json"), encoding="utf-8") as f:
        rows = json.load(f)["rows"]
    assert section(readme, QUALITY_START, QUALITY_END) == quality_sentence(rows), \
        "run python -m tools.benchmark (it rewrites the README)"


def test_readme_shows_the_current_workload_table(readme):
    assert section(readme, README_START, README_END) == table(course_workload()), \
        "run python -m tools.workload --readme"
