"""What the grader skips, graders cannot see.  Grading runs every code cell of a
submission except those tagged ``otter_ignore``; the autograded notebook (formgrader,
feedback HTML) shows the outputs of the cells it ran.  So

- a cell the grader runs must not need a name that only a skipped cell defines: it
  raises NameError while grading, and the formgrader shows that error where the
  student's table or printout was;
- a notebook with answers graded by hand (05) skips no cell: its written answers refer
  to the notebook's tables and figures, which the grader reading them must see.

Static checks on the source notebooks (fast)."""

import ast
import builtins

import pytest

from notebooks import read, source_path
from tools.assignments import available

from notebooks import ROOT

NAMES = [a["name"] for a in available(ROOT)]
KNOWN = {}   # assignment -> reason, for a known violation (strict xfail); none today


def skipped(cell):
    return "otter_ignore" in (cell.get("metadata", {}).get("tags") or [])


def _names(source):
    """(names a cell defines, names it reads), from its code; None if it does not parse
    (IPython magics)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    defined = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            defined.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            defined |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.arg):
            defined.add(node.arg)
    read_ = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return defined, read_


def names_only_skipped_cells_define(nb):
    """{code cell index: names it reads that only earlier skipped cells define}, for the
    cells the grader runs."""
    run_defines, skip_defines, found = set(dir(builtins)) | {"display"}, set(), {}
    code = [c for c in nb.cells if c.cell_type == "code"]
    for index, cell in enumerate(code):
        names = _names(cell.source)
        if names is None:
            continue
        defined, needed = names
        if skipped(cell):
            skip_defines |= defined
            continue
        missing = sorted((needed - defined) & (skip_defines - run_defines))
        if missing:
            found[index] = missing
        run_defines |= defined
    return found


def written_answers(nb):
    return [c for c in nb.cells if c.cell_type == "markdown"
            and c.get("metadata", {}).get("nbgrader", {}).get("grade")]


def params(names):
    return [pytest.param(n, marks=pytest.mark.xfail(reason=KNOWN[n], strict=True))
            if n in KNOWN else n for n in names]


@pytest.mark.parametrize("name", params(NAMES))
def test_graded_cells_need_no_skipped_cell(name):
    found = names_only_skipped_cells_define(read(source_path(name)))
    assert not found, (f"{name}: code cells the grader runs (by index among code cells) use "
                       f"names only otter_ignore cells define (NameError while grading): {found}")


@pytest.mark.parametrize("name", params([n for n in NAMES if written_answers(read(source_path(n)))]))
def test_notebooks_graded_by_hand_skip_no_cell(name):
    code = [c for c in read(source_path(name)).cells if c.cell_type == "code"]
    ignored = [i for i, c in enumerate(code) if skipped(c)]
    assert not ignored, (f"{name}: the grader skips code cells {ignored} (by index among code "
                         "cells), so graders never see their output")


def test_the_check_finds_a_name_from_a_skipped_cell():
    from nbformat.v4 import new_code_cell, new_notebook
    nb = new_notebook(cells=[new_code_cell("import json\ntable = json.load(open('t.json'))",
                                           metadata={"tags": ["otter_ignore"]}),
                             new_code_cell("def f(x):\n    return x + 1\nprint(table, f(2), len([]))"),
                             new_code_cell("import json\nprint(json.dumps({}))")])
    assert names_only_skipped_cells_define(nb) == {1: ["table"]}
