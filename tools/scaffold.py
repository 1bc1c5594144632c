"""``python -m tools.course new NN_name``: a new assignment that builds and grades.

Writes, for ``NN_topic`` (``topic`` in lower-case words):

- ``source/NN_topic/NN_topic.ipynb``: the source notebook (badge and set-up cell from
  ``tools.colab``) with one exercise, ``topic_rhs(state, tau)``, and its check cell;
- ``source/NN_topic/tests/topic_rhs.py``: its public check;
- ``lib/topic.py``: the reference ``topic_rhs``, exported in ``lib/__init__._EXPORTS``;
- ``hidden/aNN_topic.py``: its hidden check (1 point) and the sandbox limits;
- the manifest entry in ``tools/assignments.py``.

``python -m tools.course build --only NN_topic`` then releases, zips, executes and grades
it (the solution at full marks, the release at zero), and every test parametrised by
the manifest picks it up.  Replace the example exercise by your own, one question at a
time: exercise cell, check cell (same points), public check, hidden check.
"""

import os
import re

import nbformat

from tools.assignments import ASSIGNMENTS, NAME_PATTERN, NEW_ENTRIES_ABOVE, ROOT, _lib_exports

POINTS = 1
LIMITS = {"cell_timeout": 60, "notebook_timeout": 120, "call_timeout": 10}   # CPU seconds


# ---- cells with the course's nbgrader conventions (docs/ARCHITECTURE.md) ---------------
def markdown(text):
    return nbformat.v4.new_markdown_cell(text.strip("\n"))


def code(source):
    return nbformat.v4.new_code_cell(source.strip("\n"))


def exercise(grade_id, source):
    """A graded solution cell: ``source`` holds ``### BEGIN/END SOLUTION``."""
    cell = code(source)
    cell.metadata["nbgrader"] = {"solution": True, "grade": False, "locked": False,
                                 "grade_id": grade_id, "schema_version": 3}
    return cell


def check(grade_id, points):
    """The locked cell after an exercise: runs its public checks, carries its points."""
    cell = code(f'grader.check("{grade_id}")')
    cell.metadata["nbgrader"] = {"solution": False, "grade": True, "locked": True,
                                 "points": points, "grade_id": f"{grade_id}_check",
                                 "schema_version": 3}
    return cell


# ---- the files -------------------------------------------------------------------------
def notebook_cells(name, fn):
    number = name[:2]
    title = name[3:].replace("_", " ")
    return [
        markdown(f"""
# {number} · {title.capitalize()}

*RNNs as computational dynamical systems* — assignment {number}.

Expected time: about 30-45 minutes of reading and doing for the required path, plus the
exercise.

**How you are graded.** Each exercise is a function in its own cell. Replace
`raise NotImplementedError()` by your code, keep the function's name and signature.
`grader.check(...)` runs *public* checks only: hidden tests on Gradescope decide the grade.
"""),
        code("""
# Setup: run this cell first.
import numpy as np

import otter
grader = otter.Notebook(tests_dir="tests")
"""),
        markdown(f"""
## 1. Exponential decay

The simplest flow: every state decays towards the origin with time constant $\\tau$,
$\\dot{{\\mathbf x}} = -\\mathbf x / \\tau$.

### Exercise 1 · `{fn}`
Write the vector field. `state` has shape `(..., d)`; return $\\dot{{\\mathbf x}}$ with the
same shape as `state`, without modifying `state`.
"""),
        exercise(fn, f'''
def {fn}(state, tau=1.0):
    """Vector field of exponential decay, dx/dt = -x / tau.

    state: array (..., d); tau: time constant (> 0, in the time unit of t).
    Returns dx/dt, array (..., d).
    """
    ### BEGIN SOLUTION
    return -np.asarray(state, dtype=float) / tau
    ### END SOLUTION
'''),
        check(fn, POINTS),
    ]


def public_check(fn):
    return f'''"""Public checks for {fn}: shapes and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "{fn} (public checks only: hidden tests decide the grade)"
points = 0


@test_case(points=0, hidden=False)
def shape_and_value({fn}, np):
    out = np.asarray({fn}(np.ones((2, 3)), tau=2.0))
    assert out.shape == (2, 3), "returns an array of the state's shape"
    assert np.allclose(out, -0.5), "for state = 1 and tau = 2 every derivative is -0.5"
'''


def reference(name, fn):
    return f'''"""Reference of {name} (never handed to students)."""

import numpy as np


def {fn}(state, tau=1.0):
    """Vector field of exponential decay, dx/dt = -x / tau.

    state: array (..., d); tau: time constant (> 0).  Returns dx/dt, array (..., d).
    """
    return -np.asarray(state, dtype=float) / tau
'''


def hidden_checks(name, fn):
    return f'''"""Hidden checks of {name} (never handed to students)."""

from grading.checks import Registry, expect_close, expect_unchanged, rng

QUESTIONS = Registry()
LIMITS = {LIMITS!r}


@QUESTIONS.question("{fn}", points={POINTS})
def {fn}(sub, ref):
    x = rng(1).normal(size=(4, 3))
    got, reply = sub.call("{fn}", x, 0.5, return_args=True)
    expect_close(got, ref.{fn}(x, 0.5),
                 "{fn}(state, 0.5) on a batch of states of shape (4, 3)")
    expect_unchanged([x], reply["args"], "{fn}")
'''


def _insert_before(path, marker_pattern, text):
    """Insert ``text`` before the first line of ``path`` matching ``marker_pattern``."""
    with open(path, encoding="utf-8") as f:
        lines = f.readlines()
    at = next(i for i, line in enumerate(lines) if re.search(marker_pattern, line))
    lines.insert(at, text)
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(lines)


def _export(root, module, fn):
    """Add ``module: [fn]`` at the end of ``lib/__init__._EXPORTS``."""
    path = os.path.join(root, "lib", "__init__.py")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    start = text.index("_EXPORTS = {")
    end = text.index("\n}", start)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text[:end] + f'\n    "{module}": ["{fn}"],' + text[end:])


def _refuse(name, root, module):
    if not NAME_PATTERN.match(name):
        raise SystemExit(f"{name!r}: an assignment is named NN_lower_case_words, e.g. 06_chaos_control")
    if any(a.name == name or a.number == name[:2] for a in ASSIGNMENTS):
        raise SystemExit(f"{name}: the manifest already has an assignment numbered {name[:2]}")
    taken = [p for p in (os.path.join(root, "source", name), os.path.join(root, "lib", module + ".py"))
             if os.path.exists(p)]
    if taken or module in _lib_exports(root):
        raise SystemExit(f"{name}: {', '.join(taken) or 'lib.' + module} exists already")


def new_assignment(name, root=ROOT):
    """Write the files of a new minimal assignment ``name``; return their paths."""
    from tools.colab import apply
    module = name[3:]
    fn = module + "_rhs"
    _refuse(name, root, module)
    folder = os.path.join(root, "source", name)
    os.makedirs(os.path.join(folder, "tests"))
    written = {
        os.path.join(folder, "tests", fn + ".py"): public_check(fn),
        os.path.join(root, "lib", module + ".py"): reference(name, fn),
        os.path.join(root, "hidden", f"a{name}.py"): hidden_checks(name, fn),
    }
    for path, text in written.items():
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    nb_path = os.path.join(folder, name + ".ipynb")
    nb = nbformat.v4.new_notebook()
    nb.cells = notebook_cells(name, fn)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, nb_path)
    apply(nb_path, name)   # Colab badge and the course's set-up block
    _export(root, module, fn)
    manifest = os.path.join(root, "tools", "assignments.py")
    _insert_before(manifest, r"^\s*" + re.escape(NEW_ENTRIES_ABOVE),
                   f'    Assignment("{name}", reference=("{module}",)),\n')
    return [nb_path, *written, os.path.join(root, "lib", "__init__.py"), manifest]
