"""The build's executed solutions carry their figures (for the HTML posted after the deadline)."""

import os

import nbformat
import pytest


@pytest.mark.slow
def test_executed_solution_has_figures_and_html(executed):
    path = executed("00_introduction")
    nb = nbformat.read(path, 4)
    figures = sum(1 for c in nb.cells if c.cell_type == "code"
                  for o in c.outputs if "image/png" in o.get("data", {}))
    assert figures >= 4
    html = path[:-len(".ipynb")] + ".html"
    assert os.path.exists(html) and "data:image/png;base64" in open(html, encoding="utf-8").read()
