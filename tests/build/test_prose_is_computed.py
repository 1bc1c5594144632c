"""Every number in a notebook's prose is shown by its own cells (or is a listed published
constant): checked on the solutions this machine executes, as the build executes them."""

import pytest

from prose_numbers import PUBLISHED, prose_numbers, unsupported_numbers
from tools.assignments import available
from notebooks import ROOT, source_path, read

NAMES = [a["name"] for a in available(ROOT)]


def test_the_rule_sees_typed_numbers():
    import nbformat
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "VPT 2.51 against 1.07, dt 0.02, lambda 0.9056, error 4.1e-5, $-13.85$ and 12 units")])
    found = [t for t, *_ in prose_numbers(nb)]
    assert found == ["2.51", "1.07", "0.9056", "-13.85"]
    assert "0.9056" in PUBLISHED and "2.51" not in PUBLISHED


@pytest.mark.parametrize("name", NAMES)
def test_sources_keep_their_outputs_out(name):
    nb = read(source_path(name))
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_every_prose_number_is_shown_by_the_notebooks_cells(executed, name):
    bad = unsupported_numbers(executed(name))
    assert not bad, (f"{name}: numbers in the prose that no cell shows at that precision "
                     f"(render them from the cell that computes them, or refer to the printed "
                     f"value): {bad}")
