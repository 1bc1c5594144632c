"""A fixed sample of mutants per assignment is killed (the full run: python -m tools.mutate)."""

import pytest

from notebooks import ROOT
from tools.assignments import available
from tools.mutate import run

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", [a["name"] for a in available(ROOT)])
def test_sampled_mutants_are_killed(name):
    report = run(name, sample=1, seed=2026, verbose=False)
    survivors = {q: r["survived"] for q, r in report.items() if r["survived"]}
    assert not survivors, survivors
