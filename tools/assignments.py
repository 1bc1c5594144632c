"""The course's manifest: one :class:`Assignment` per notebook, the single place that the
build, the zips and their test files, the tests, mutation, the benchmark and the leak tests read.

An entry names what cannot be derived; everything else follows from the name by the
course's conventions::

    source/<name>/<name>.ipynb         the nbgrader source notebook
    source/<name>/tests/<question>.py  one public check per question
    hidden/a<name>.py                  the hidden checks: ``QUESTIONS`` (a Registry:
                                       questions and points) and ``LIMITS``
    tools/quality/q<name>.py           quality figures for the benchmark (optional)

- ``reference``: the ``lib`` modules whose exported functions the assignment grades
  (their bodies must never appear in what students get);
- ``preload``: public packages the notebook imports while graded: the grader imports
  them once and its sandboxed workers share them (``grading/forkserver.py``);
- ``artefacts``: files of ``source/<name>/`` that students get besides the notebook and
  its public checks, with the build step that writes them (``None``: written by hand);
  their top folders are the assignment's ``public`` folders, copied next to the
  submission when it is graded;
- ``grade_extensions``: grade the exercises of the notebook's "Optional" sections too
  (questions the hidden module registers with ``extension=True``).  Off by default: the
  four-hour core is graded and extensions are practice with public self-checks.  Set it
  to serve a full module; ``python -m tools.course release`` then writes the extensions'
  check cells as graded nbgrader cells with their points, and the Otter zip grades them.

Questions and points are declared once, in the hidden module; :meth:`Assignment.points`
reads them there.  :func:`problems` lists what is inconsistent (an entry naming a file
that does not exist, a notebook or hidden module without an entry); a fast test and
``python -m tools.course`` fail on it.  ``python -m tools.course new NN_name`` adds an
entry above ``NEW_ENTRIES_ABOVE``.
"""

import importlib
import os
import re
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PLOTS = ("numpy", "matplotlib.pyplot")
TASK_DATA = "data/lorenz_task.npz"
CHECKPOINTS = ("checkpoints/ctrnn.pt", "checkpoints/eirnn.pt")
METRICS = "data/architecture_metrics.json"
BUILD_STEPS = ("data", "checkpoints", "metrics")   # the build steps that write artefacts
NAME_PATTERN = re.compile(r"^(\d\d)_[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Artefact:
    """A file of ``source/<assignment>/`` that students get (``path`` relative to that
    folder), written by the build step ``step`` (one of ``BUILD_STEPS``) or by hand."""
    path: str
    step: str = None

    @property
    def folder(self):
        return self.path.split("/", 1)[0]


def _task_data():
    return (Artefact(TASK_DATA, "data"),)


def _checkpoints():
    return tuple(Artefact(p, "checkpoints") for p in CHECKPOINTS)


@dataclass(frozen=True)
class Assignment:
    """One assignment of the course (see the module's docstring)."""
    name: str
    reference: tuple
    preload: tuple = PLOTS
    artefacts: tuple = ()
    grade_extensions: bool = False

    # -- derived by convention -----------------------------------------------------------
    @property
    def number(self):
        return self.name[:2]

    @property
    def hidden(self):
        """Importable name of the hidden-check module."""
        return f"hidden.a{self.name}"

    @property
    def public(self):
        """Folders of ``source/<name>/`` copied next to a graded submission (in order)."""
        return list(dict.fromkeys(a.folder for a in self.artefacts))

    def quality_module(self, root=ROOT):
        """The benchmark's quality module (``measure() -> dict``), or None when the
        assignment has none."""
        return f"tools.quality.q{self.name}" if os.path.exists(self.quality_path(root)) else None

    def notebook(self, root=ROOT):
        return os.path.join(root, "source", self.name, self.name + ".ipynb")

    def hidden_path(self, root=ROOT):
        return os.path.join(root, "hidden", f"a{self.name}.py")

    def quality_path(self, root=ROOT):
        return os.path.join(root, "tools", "quality", f"q{self.name}.py")

    def artefacts_of(self, step):
        return [a for a in self.artefacts if a.step == step]

    # -- read from the hidden module, where questions are declared -------------------------
    def module(self):
        return importlib.import_module(self.hidden)

    def questions(self):
        """The graded questions, in grading order (the extensions only when
        ``grade_extensions``)."""
        return self.module().QUESTIONS.graded(self.grade_extensions)

    def points(self):
        """``{question: points}`` of the graded questions."""
        return {q.name: q.points for q in self.questions()}

    def extensions(self):
        """The names of the extension questions (graded or not)."""
        return list(self.module().QUESTIONS.extensions)

    def self_checks(self):
        """Every question with a public check: the graded ones and the extensions."""
        return list(dict.fromkeys([q.name for q in self.questions()] + self.extensions()))

    def limits(self):
        """The module's ``LIMITS`` (keyword arguments of ``grading.sandbox.Limits``)."""
        return dict(getattr(self.module(), "LIMITS", {}))

    def student_files(self):
        """What students get, relative to ``release/<name>/``: the notebook, one public
        check per question and the artefacts; the allow-list of releases and bundles
        (never logs, caches or hidden files)."""
        return ([self.name + ".ipynb"]
                + [f"tests/{q}.py" for q in self.self_checks()]
                + [a.path for a in self.artefacts])

    # Read-only mapping access for code written against the manifest's former dicts.
    _KEYS = ("name", "hidden", "public", "preload")

    def __getitem__(self, key):
        if key not in self._KEYS:
            raise KeyError(key)
        value = getattr(self, key)
        return list(value) if isinstance(value, tuple) else value


ASSIGNMENTS = [
    Assignment("00_introduction", reference=("dynamics",)),
    Assignment("01_continuous_time_rnn", reference=("ctrnn",),
               preload=PLOTS + ("torch", "torchdiffeq"), artefacts=_task_data()),
    Assignment("02_balanced_rate_network", reference=("ei",), preload=PLOTS + ("torch",),
               artefacts=_task_data()),
    Assignment("03_balanced_spiking_network", reference=("spiking",),
               preload=PLOTS + ("torch", "norse.torch"), artefacts=_task_data()),
    Assignment("04_dynamical_analysis", reference=("analysis",),
               preload=PLOTS + ("torch", "scipy.ndimage"),
               artefacts=_task_data() + _checkpoints()),
    Assignment("05_synthesis", reference=("synthesis",), preload=PLOTS + ("torch", "pandas"),
               artefacts=_task_data() + (Artefact(METRICS, "metrics"),) + _checkpoints()),
    # NEW_ENTRIES_ABOVE (python -m tools.course new NN_name writes its entry here)
]
NEW_ENTRIES_ABOVE = "# NEW_ENTRIES_ABOVE"

NEEDS_TASK_DATA = [a.name for a in ASSIGNMENTS if any(x.path == TASK_DATA for x in a.artefacts)]


def by_name(name):
    for a in ASSIGNMENTS:
        if a.name == name:
            return a
    raise KeyError(f"unknown assignment {name!r}: add it to tools/assignments.py "
                   "(python -m tools.course new NN_name does)")


def available(root=ROOT):
    """Assignments whose source notebook exists under ``root`` (a scratch copy of the
    course may hold only some of them)."""
    return [a for a in ASSIGNMENTS if os.path.exists(a.notebook(root))]


def with_step(step, names=None):
    """Assignments (of ``names``, default all) with an artefact that build step ``step``
    writes."""
    return [a for a in ASSIGNMENTS if a.artefacts_of(step) and (names is None or a.name in names)]


def _lib_exports(root):
    """``lib._EXPORTS`` of the course at ``root``, read without importing it."""
    import ast
    with open(os.path.join(root, "lib", "__init__.py"), encoding="utf-8") as f:
        tree = ast.parse(f.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "_EXPORTS"
                                                for t in node.targets):
            return ast.literal_eval(node.value)
    return {}


def problems(root=ROOT, partial=False):
    """What is inconsistent between the manifest and the files under ``root``: a list of
    sentences, empty when all is well.  ``partial``: entries whose source folder is
    absent are skipped (a scratch copy holding some assignments)."""
    out = []
    names = [a.name for a in ASSIGNMENTS]
    if len(set(names)) != len(names):
        out.append("an assignment is listed twice")
    numbers = [a.number for a in ASSIGNMENTS]
    if len(set(numbers)) != len(numbers) or numbers != sorted(numbers):
        out.append(f"assignment numbers must be distinct and in order: {numbers}")
    exports = _lib_exports(root)
    for a in ASSIGNMENTS:
        if not NAME_PATTERN.match(a.name):
            out.append(f"{a.name}: not of the form NN_lower_case_words")
        if partial and not os.path.isdir(os.path.join(root, "source", a.name)):
            continue
        if not os.path.exists(a.notebook(root)):
            out.append(f"{a.name}: no source notebook {os.path.relpath(a.notebook(root), root)}")
        if not os.path.exists(a.hidden_path(root)):
            out.append(f"{a.name}: no hidden checks {os.path.relpath(a.hidden_path(root), root)}")
        for module in a.reference:
            if module not in exports or not os.path.exists(os.path.join(root, "lib", module + ".py")):
                out.append(f"{a.name}: reference module lib/{module}.py missing or not in "
                           "lib._EXPORTS")
        for art in a.artefacts:
            if art.step not in (None, *BUILD_STEPS):
                out.append(f"{a.name}: artefact {art.path} names an unknown build step {art.step!r}")
            elif not os.path.exists(os.path.join(root, "source", a.name, art.path)):
                how = f"python -m tools.course {art.step}" if art.step else "write it"
                out.append(f"{a.name}: artefact source/{a.name}/{art.path} is missing ({how})")
    for folder in sorted(os.listdir(os.path.join(root, "source"))):
        if os.path.exists(os.path.join(root, "source", folder, folder + ".ipynb")) \
                and folder not in names:
            out.append(f"source/{folder}/ has a notebook but no entry in tools/assignments.py")
    for f in sorted(os.listdir(os.path.join(root, "hidden"))):
        if re.match(r"^a\d\d_.*\.py$", f) and f[1:-3] not in names:
            out.append(f"hidden/{f} belongs to no assignment in tools/assignments.py")
    quality_dir = os.path.join(root, "tools", "quality")
    for f in sorted(os.listdir(quality_dir)) if os.path.isdir(quality_dir) else []:
        if re.match(r"^q\d\d_.*\.py$", f) and f[1:-3] not in names:
            out.append(f"tools/quality/{f} belongs to no assignment in tools/assignments.py")
    return out


def check(root=ROOT, partial=False):
    """Raise ``RuntimeError`` listing :func:`problems`, if any."""
    found = problems(root, partial)
    if found:
        raise RuntimeError("the manifest (tools/assignments.py) and the files disagree:\n  "
                           + "\n  ".join(found))
