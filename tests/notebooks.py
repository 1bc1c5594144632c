"""Test helpers: read course notebooks and make graded variants of them."""

import copy
import dataclasses
import os

import nbformat

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def source_path(name):
    return os.path.join(ROOT, "source", name, name + ".ipynb")


def release_path(name):
    return os.path.join(ROOT, "release", name, name + ".ipynb")


def read(path):
    return nbformat.read(path, as_version=4)


def grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def exercise_cells(nb):
    """{grade_id: cell} of graded solution cells (code, solution=True)."""
    out = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution"):
            out[meta["grade_id"]] = cell
    return out


def variant(name, tmp_path, replace=None, append=(), prepend=(), base="source"):
    """Write a copy of the source (or release) notebook with exercise cells replaced
    (``replace``: grade_id -> code) and code cells added; return its path."""
    nb = copy.deepcopy(read(source_path(name) if base == "source" else release_path(name)))
    cells = exercise_cells(nb)
    for gid, src in (replace or {}).items():
        cells[gid].source = src
    first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    for i, src in enumerate(prepend):
        nb.cells.insert(first_code + 1 + i, nbformat.v4.new_code_cell(src))
    for src in append:
        nb.cells.append(nbformat.v4.new_code_cell(src))
    path = os.path.join(str(tmp_path), f"{name}.ipynb")
    nbformat.write(nb, path)
    return path


def public_files(name):
    from tools.assignments import by_name
    return [os.path.join(ROOT, "source", name, p) for p in by_name(name).public]


def grade(name, path, extensions=True, **limits):
    """Grade a notebook with the hidden checks in the sandbox: ({question: score}, results,
    report).  ``extensions``: the Optional sections' exercises too (the tests cover their
    checks whatever the manifest grades)."""
    from tools.assignments import by_name
    from grading.runner import grade as run
    from grading.sandbox import Limits
    spec = by_name(name)
    results, report = run(path, spec.hidden, public_files=public_files(name),
                          limits=Limits(**{**spec.limits(), **limits}), preload=spec.preload,
                          secret_dirs=[os.path.join(ROOT, "lib"), os.path.join(ROOT, "hidden")],
                          extensions=extensions)
    results = [dataclasses.asdict(r) for r in results]   # plain dicts, as in the verdicts file
    return {r["name"]: r["score"] for r in results}, {r["name"]: r for r in results}, report
