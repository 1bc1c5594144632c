"""Nothing a student receives contains reference code, solutions or hidden tests."""

import ast
import os

import pytest

from notebooks import ROOT, exercise_cells, read, source_path
from tools.assignments import available, by_name

NAMES = [a.name for a in available(ROOT)]

# Lines of reference code that a release shows on purpose, with the reason.
DELIBERATE = {
    "return euler_step(h, x, self.W_rec, self.W_in, self.b, self.tau, self.dt)":
        "01's CTRNN.step is given to students as a convenience; the spec states the call",
    "err = prediction_error(pred, true, std)":
        "a public check calls the student's own prediction_error (the spec's signature)",
    # 03's exercises are scaffolded (issue 23): the student writes the lines that carry the
    # concept, the set-up and loop lines around them are given
    "out = torch.empty_like(i_ext)":
        "03's run_lif_network: the output buffer is given scaffolding",
    "dtype = torch.get_default_dtype()":
        "03's sparse_ei_weights: the default dtype is given scaffolding",
    "x_mean, y_mean = X.mean(0), Y.mean(0)":
        "03's ridge_regression: the means are given; the student centres, solves and sets b",
    # 04's exercises are scaffolded (issue 23): the optimisation loop and the QR loop are given
    "h = h0.detach().clone().requires_grad_(True)":
        "04's find_fixed_points: the optimisation of q is given; the student writes q and the "
        "selection rule",
    "opt = torch.optim.Adam([h], lr=lr)":
        "04's find_fixed_points: the optimiser is given scaffolding",
    "for _ in range(n_transient):":
        "04's lyapunov_spectrum: the transient is given; the student writes the QR step, the "
        "accumulation and the normalisation",
}


def _student_files(name):
    folder = os.path.join(ROOT, "release", name)
    for root, _, files in os.walk(folder):
        for f in files:
            yield os.path.join(root, f)


def _text(path):
    if path.endswith(".ipynb"):  # code only: teaching text may quote the spec's formulas
        nb = read(path)
        return "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    with open(path, "rb") as f:
        return f.read().decode("utf-8", errors="ignore")


def _body_lines(path, per_function=False, only=None):
    """Distinctive code lines inside the function bodies of a Python file (a list of
    sets, one per function, with ``per_function``; only top-level ``only`` names)."""
    with open(path, encoding="utf-8") as f:
        source = f.read()
    tree = ast.parse(source)
    lines = source.splitlines()
    out, groups = set(), []
    nodes = ast.walk(tree) if only is None else [
        n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name in only]
    for node in nodes:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            groups.append(set())
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
                body = body[1:]  # skip the docstring
            for stmt in body:
                for i in range(stmt.lineno - 1, stmt.end_lineno):
                    line = lines[i].strip()
                    if len(line) >= 25 and not line.startswith(
                            ("#", '"', "'", "def ", "class ", "import ", "from ")):
                        out.add(line)
                        groups[-1].add(line)
    return groups if per_function else out


def _hidden_lines():
    out = set()
    folder = os.path.join(ROOT, "hidden")
    for f in os.listdir(folder):
        if f.endswith(".py"):
            out |= _body_lines(os.path.join(folder, f))
    return out


@pytest.mark.parametrize("name", NAMES)
def test_release_has_no_reference_code(name):
    """No line of an exercise's reference body, graded or extension (lib's other
    functions, such as the plumbing and training loops the notebooks hand out as given
    code, are not secret)."""
    import lib
    spec = by_name(name)
    exercises = set(spec.self_checks())
    secret = set()
    for module in spec.reference:  # the lib module(s) whose functions it grades
        secret |= _body_lines(os.path.join(ROOT, "lib", module + ".py"),
                              only=set(lib._EXPORTS[module]) & exercises)
    for path in _student_files(name):
        text = _text(path)
        found = [line for line in secret if line in text and line not in DELIBERATE]
        assert not found, f"{os.path.relpath(path, ROOT)} contains reference code: {found[:3]}"


@pytest.mark.parametrize("name", NAMES)
def test_release_has_no_hidden_tests(name):
    secret = _hidden_lines()
    for path in _student_files(name):
        text = _text(path)
        found = [line for line in secret if line in text]
        assert not found, f"{os.path.relpath(path, ROOT)} contains hidden-test code: {found[:3]}"


@pytest.mark.parametrize("name", NAMES)
def test_release_has_no_solutions(name):
    text = _text(os.path.join(ROOT, "release", name, name + ".ipynb"))
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    for gid, cell in exercise_cells(read(source_path(name))).items():
        src = cell.source
        if "### BEGIN SOLUTION" not in src:
            continue
        solution = src.split("### BEGIN SOLUTION", 1)[1].split("### END SOLUTION", 1)[0]
        for line in solution.splitlines():
            line = line.strip()
            if len(line) >= 25 and not line.startswith("#"):
                assert line not in text, f"{name}/{gid}: solution line in the release: {line!r}"


@pytest.mark.parametrize("name", NAMES)
def test_release_carries_only_notebook_public_tests_and_data(name):
    for path in _student_files(name):
        rel = os.path.relpath(path, os.path.join(ROOT, "release", name))
        top = rel.split(os.sep)[0]
        assert rel == f"{name}.ipynb" or top in {"tests", *by_name(name).public}, rel
        assert not rel.startswith(("lib", "hidden")), rel


def test_grading_harness_holds_no_reference_code():
    """grading/ is copied next to submissions: no reference function may be recognisable
    in it (three or more of one function's lines; a shared ``return`` line is not code)."""
    groups = []
    for f in os.listdir(os.path.join(ROOT, "lib")):
        if f.endswith(".py"):
            groups += _body_lines(os.path.join(ROOT, "lib", f), per_function=True)
    for f in os.listdir(os.path.join(ROOT, "grading")):
        if f.endswith(".py"):
            with open(os.path.join(ROOT, "grading", f), encoding="utf-8") as fh:
                text = fh.read()
            for group in groups:
                found = [line for line in group if line in text]
                assert len(found) < 3, f"grading/{f}: {found[:3]}"
