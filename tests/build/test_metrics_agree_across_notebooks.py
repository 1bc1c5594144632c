"""One quantity, one value: the numbers 03 and 04 print for the shipped models are the
numbers in 05's table (``source/05_synthesis/data/architecture_metrics.json``, written by
``python -m tools.synthesis_metrics`` from ``lib``).  Executes the two solution notebooks."""

import json
import os
import re

import nbformat
import pytest

from notebooks import ROOT
from tools.course import execute_solution

pytestmark = pytest.mark.slow


def _printed(path):
    nb = nbformat.read(path, 4)
    return "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                     for o in c.outputs if o.output_type == "stream")


@pytest.fixture(scope="module")
def table():
    with open(os.path.join(ROOT, "source", "05_synthesis", "data", "architecture_metrics.json"),
              encoding="utf-8") as f:
        return json.load(f)["architectures"]


def test_04_prints_05s_exponents_and_divergences(table, tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    text = _printed(execute_solution("04_dynamical_analysis", out_root=str(tmp_path)))
    for name, row in (("CT-RNN", "CT-RNN"), ("E/I RNN", "E/I rate RNN")):
        lam = re.search(rf"^{re.escape(name)}: leading exponents \[\s*([-+.\deE]+)", text, re.M)
        assert lam, f"no exponents printed for {name}"
        assert float(lam.group(1)) == pytest.approx(table[row]["max_lyapunov"], abs=6e-4)
        d = re.search(rf"^{re.escape(name)}\s+([\d.]+)\s+([\d.]+)\s*$", text, re.M)
        assert d, f"no attractor measures printed for {name}"
        assert float(d.group(1)) == pytest.approx(table[row]["state_space_divergence"], abs=6e-4)


def test_03_prints_05s_reservoir_and_baseline_errors(table, tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    text = _printed(execute_solution("03_balanced_spiking_network", out_root=str(tmp_path)))
    test_table = text[text.index("test one-step error (washout"):]
    for label, row in (("spiking reservoir (traces + u_t)", "spiking reservoir"),
                       ("persistence", "persistence (baseline)"),
                       ("linear AR(3)", "linear AR(3) (baseline)"),
                       ("quadratic ridge on u_t", "quadratic ridge (baseline)")):
        m = re.search(rf"^\s+{re.escape(label)}\s+([\d.]+)\s*$", test_table, re.M)
        assert m, f"03 prints no test error for {label}"
        assert float(m.group(1)) == pytest.approx(table[row]["one_step_error"], abs=6e-5)
