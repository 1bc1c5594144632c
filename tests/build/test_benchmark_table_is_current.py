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
