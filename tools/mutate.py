"""Mutation testing of the hidden checks.

    python -m tools.mutate                     # every assignment, every mutant
    python -m tools.mutate --only 00_introduction --sample 2

For each graded function, the solution region of its source-notebook cell is mutated
by small AST operators (arithmetic and comparison swaps, sign flips, constant changes,
dropped terms, transposes, argument swaps).  Mutants of *different* exercises are
graded together in one notebook (one slip costs one exercise, which the tests prove),
so the number of sandbox runs is the largest number of mutants of one exercise.  The
notebook holds the setup cell and the exercise cells only (no training), and is graded
by the real hidden checks in the sandbox.  A mutant is *killed* when its exercise
loses points.  Survivors are either listed in ``tools/mutation_equivalents.json`` with
the reason they are equivalent, or reported as test gaps.
"""

import argparse
import ast
import copy
import json
import os
import random
import sys
import tempfile

import nbformat

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tools.assignments import available, by_name  # noqa: E402

EQUIVALENTS = os.path.join(ROOT, "tools", "mutation_equivalents.json")
BIN_SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
            ast.Pow: ast.Mult, ast.FloorDiv: ast.Div, ast.MatMult: ast.Mult}
CMP_SWAP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
            ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}


class _Mutator(ast.NodeTransformer):
    """Applies the ``target``-th applicable mutation inside the solution regions ``lines``
    and records it (descriptions of regions after the first say which region)."""

    def __init__(self, target, lines):
        self.target, self.lines, self.count, self.done = target, lines, 0, None

    def _hit(self, node, description):
        line = getattr(node, "lineno", -1)
        region = next((k for k, (a, b) in enumerate(self.lines) if a <= line <= b), None)
        if region is None:
            return False
        hit = self.count == self.target and self.done is None
        self.count += 1
        if hit:
            where = f"region {region + 1} " if region else ""
            self.done = f"{where}line {line - self.lines[region][0] + 1}: {description}"
        return hit

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if type(node.op) in BIN_SWAP and self._hit(node, f"{type(node.op).__name__} -> "
                                                          f"{BIN_SWAP[type(node.op)].__name__}"):
            return ast.BinOp(node.left, BIN_SWAP[type(node.op)](), node.right)
        if isinstance(node.op, (ast.Add, ast.Sub)):
            if self._hit(node, "drop right term"):
                return node.left
            if self._hit(node, "drop left term"):
                return node.right if isinstance(node.op, ast.Add) else ast.UnaryOp(ast.USub(), node.right)
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.USub) and self._hit(node, "remove unary minus"):
            return node.operand
        return node

    def visit_Compare(self, node):
        self.generic_visit(node)
        if len(node.ops) == 1 and type(node.ops[0]) in CMP_SWAP and self._hit(
                node, f"{type(node.ops[0]).__name__} -> {CMP_SWAP[type(node.ops[0])].__name__}"):
            return ast.Compare(node.left, [CMP_SWAP[type(node.ops[0])]()], node.comparators)
        return node

    def visit_Constant(self, node):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            return node
        if self._hit(node, f"constant {node.value!r} -> {node.value + 1!r}"):
            return ast.Constant(node.value + 1)
        if node.value != 0 and self._hit(node, f"constant {node.value!r} -> {node.value * 2!r}"):
            return ast.Constant(node.value * 2)
        return node

    def visit_Attribute(self, node):
        self.generic_visit(node)
        if node.attr in ("T", "mT") and self._hit(node, "drop transpose"):
            return node.value
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        if len(node.args) >= 2 and not any(isinstance(a, ast.Starred) for a in node.args[:2]) \
                and self._hit(node, "swap the first two arguments"):
            node = copy.copy(node)
            node.args = [node.args[1], node.args[0], *node.args[2:]]
        return node

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load) and node.id in ("W_rec", "W", "A", "J") and \
                self._hit(node, f"transpose {node.id}"):
            return ast.Attribute(node, "T", ast.Load())
        return node


def solution_lines(source):
    """1-based inclusive line ranges of every solution region of a cell."""
    regions, start = [], None
    for i, line in enumerate(source.splitlines(), 1):
        if "### BEGIN SOLUTION" in line:
            start = i + 1
        elif "### END SOLUTION" in line and start is not None:
            regions.append((start, i - 1))
            start = None
    if not regions:
        raise StopIteration
    return regions


def mutants(source):
    """All mutants [(description, new_source)] of one exercise cell's solution region."""
    try:
        tree = ast.parse(source)
        lines = solution_lines(source)
    except (SyntaxError, StopIteration):
        return []
    out, k = [], 0
    while True:
        m = _Mutator(k, lines)
        new = m.visit(copy.deepcopy(tree))
        if m.done is None:
            return out
        try:
            text = ast.unparse(ast.fix_missing_locations(new))
            if text != ast.unparse(tree):
                out.append((m.done, text))
        except (AttributeError, TypeError, ValueError):
            pass
        k += 1


def _defines_only(source):
    """Whether a code cell only defines things (functions, classes, imports): the given
    code that exercises call, e.g. 01's ``euler_step`` under ``closed_loop``."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    return bool(body) and all(isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Import,
                                             ast.ImportFrom)) for n in body)


def _exercise_notebook(name):
    """Setup cell + exercise cells + given definitions of the source notebook (no
    training, no demos)."""
    nb = nbformat.read(os.path.join(ROOT, "source", name, name + ".ipynb"), 4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    keep = [code[0]] + [c for c in code[1:] if c.metadata.get("nbgrader", {}).get("solution")
                        or (not c.metadata.get("nbgrader", {}).get("grade")
                            and _defines_only(c.source))]
    small = copy.deepcopy(nb)
    small.cells = copy.deepcopy(keep)
    return small


def solution_cells(nb):
    """``{grade_id: cell}`` of the exercise (solution) cells of ``nb``."""
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("solution")}


def function_questions(name):
    import re
    nb = _exercise_notebook(name)
    cells = solution_cells(nb)
    return [q for q in by_name(name).self_checks()
            if q in cells and re.search(rf"^(def|class) {q}\b", cells[q].source, re.M)]


def run(name, sample=None, seed=0, verbose=True):
    """Mutation report for one assignment: {question: {generated, killed, survived: [...]}}."""
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from notebooks import grade
    base = _exercise_notebook(name)
    questions = function_questions(name)
    cells = solution_cells(base)
    pool = {q: mutants(cells[q].source) for q in questions}
    if sample is not None:
        rnd = random.Random(seed)
        pool = {q: rnd.sample(ms, min(sample, len(ms))) for q, ms in pool.items()}
    with open(EQUIVALENTS) as f:
        equivalents = json.load(f).get(name, {})
    report = {q: {"generated": len(ms), "killed": 0, "equivalent": [], "survived": []}
              for q, ms in pool.items()}
    rounds = max((len(ms) for ms in pool.values()), default=0)
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(rounds):
            nb = copy.deepcopy(base)
            batch = {q: ms[k] for q, ms in pool.items() if k < len(ms)}
            for c in nb.cells[1:]:
                gid = c.metadata.get("nbgrader", {}).get("grade_id")
                if gid in batch:
                    c.source = batch[gid][1]
            path = os.path.join(tmp, name + ".ipynb")
            nbformat.write(nb, path)
            scores, results, _ = grade(name, path)
            for q, (desc, _) in batch.items():
                if results[q]["score"] < results[q]["max_score"]:
                    report[q]["killed"] += 1
                elif desc in equivalents.get(q, {}):
                    report[q]["equivalent"].append(f"{desc} ({equivalents[q][desc]})")
                else:
                    report[q]["survived"].append(desc)
            if verbose:
                print(f"  round {k + 1}/{rounds}: {len(batch)} mutants", flush=True)
    return report


def score(report):
    killed = sum(r["killed"] for r in report.values())
    relevant = sum(r["generated"] - len(r["equivalent"]) for r in report.values())
    return killed / relevant if relevant else 1.0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only")
    parser.add_argument("--sample", type=int, help="mutants per exercise (random, seeded)")
    parser.add_argument("--json", help="write the full report here")
    args = parser.parse_args(argv)
    names = [a.name for a in available(ROOT) if not args.only or a.name == args.only]
    full, ok = {}, True
    for name in names:
        print(f"{name}:", flush=True)
        report = run(name, sample=args.sample)
        full[name] = report
        s = score(report)
        ok &= s >= 0.95
        for q, r in report.items():
            print(f"  {q:28s} generated {r['generated']:3d}  killed {r['killed']:3d}  "
                  f"equivalent {len(r['equivalent']):2d}  survived {len(r['survived']):2d}")
            for desc in r["survived"]:
                print(f"      SURVIVED: {desc}")
        print(f"  mutation score {s:.1%}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(full, f, indent=1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
