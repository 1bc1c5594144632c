"""Every mutant listed as equivalent in tools/mutation_equivalents.json is one that the
current solution still generates: a solution edit that shifts lines must update the list,
else a survivor would be excused by a stale entry or a real one reported as a gap."""

import json

import pytest

from notebooks import ROOT
from tools.assignments import available
from tools.mutate import EQUIVALENTS, _exercise_notebook, function_questions, mutants, solution_cells


@pytest.mark.parametrize("name", [a.name for a in available(ROOT)])
def test_listed_equivalents_are_generated_mutants(name):
    with open(EQUIVALENTS, encoding="utf-8") as f:
        listed = json.load(f).get(name, {})
    cells = solution_cells(_exercise_notebook(name))
    questions = function_questions(name)
    stale = {}
    for question, entries in listed.items():
        generated = ({desc for desc, _ in mutants(cells[question].source)}
                     if question in questions else set())
        missing = sorted(set(entries) - generated)
        if missing:
            stale[question] = missing
    assert not stale, f"entries naming no current mutant: {stale}"
