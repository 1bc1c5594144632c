"""The four-hour core (issue 23): every notebook's core fits the seed's minutes by the
workload estimate (``tools/workload.py`` states the formula), and each notebook's opening
states its core and optional time as that estimate gives them."""

import nbformat
import pytest

from tools.assignments import available
from tools.workload import TOLERANCE, TOTAL_MAX_HOURS, course_workload, measure, time_line

from notebooks import ROOT

SPECS = available(ROOT)


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_core_fits_its_share_of_the_seeds_minutes(spec):
    w = measure(spec.notebook(), spec.name)
    assert w.minutes <= TOLERANCE * w.budget, (
        f"{spec.name}: core ~{w.minutes:.0f} min against a budget of {w.budget} min")


def test_the_six_cores_fit_the_tutorial():
    hours = sum(w.minutes for w in course_workload()) / 60
    assert hours <= TOTAL_MAX_HOURS, f"the cores add up to {hours:.2f} h"


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_opening_states_the_measured_time(spec):
    nb = nbformat.read(spec.notebook(), as_version=4)
    opening = next(c.source for c in nb.cells if c.cell_type == "markdown")
    want = time_line(measure(spec.notebook(), spec.name))
    assert want in opening.splitlines(), (
        f"{spec.name}: the opening should state {want!r} (python -m tools.workload --openings)")
