"""The course build: one command from sources to graded autograders.

    python -m tools.course build            # everything below, in order
    python -m tools.course data             # shared task data for 01-05
    python -m tools.course checkpoints      # trained models shipped with 04/05 (if missing)
    python -m tools.course metrics          # 05's figures of the three architectures
    python -m tools.course release          # nbgrader generate_assignment, every assignment
    python -m tools.course bundles          # one student zip per assignment (from release/)
    python -m tools.course autograder       # otter generate, one zip per assignment
    python -m tools.course solutions        # execute solutions into solutions/ (+ HTML)
    python -m tools.course grade            # otter run: solutions full marks, releases zero
    python -m tools.course new NN_name      # scaffold a new assignment (tools/scaffold.py)

Every step takes ``--only NAME`` to restrict it to one assignment.  What each step does
for an assignment is read from its manifest entry (``tools/assignments.py``), which is
checked against the files first.  The steps are small functions so that tests can call
them on a temporary copy.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tools.assignments import TASK_DATA, available, by_name, check, with_step  # noqa: E402

BIN = os.path.dirname(sys.executable)
AUTOGRADER_PYTHON = "3.11"


def _env():
    env = dict(os.environ)
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    env["PYTHONPATH"] = ROOT
    env.setdefault("MPLBACKEND", "Agg")
    return env


def _run(cmd, cwd=ROOT, quiet=True):
    proc = subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=quiet, text=True)
    if proc.returncode != 0:
        out = (proc.stdout or "") + (proc.stderr or "")
        raise RuntimeError(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{out[-4000:]}")
    return proc


# ---- data ----------------------------------------------------------------------------
def write_task_data(root=ROOT, names=None):
    """``source/<a>/data/lorenz_task.npz`` for every assignment (of ``names``) whose
    manifest lists the task data."""
    import numpy as np
    from lib.task import lorenz_task
    task = lorenz_task()
    for spec in with_step("data", names):
        folder = os.path.join(root, "source", spec.name)
        if not os.path.isdir(folder):
            continue
        path = os.path.join(folder, TASK_DATA)
        if os.path.exists(path):
            with np.load(path) as old:
                if set(old.files) == set(task) and all(np.array_equal(old[k], task[k]) for k in task):
                    continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        np.savez(path, **task)


# ---- release ---------------------------------------------------------------------------
def generate_release(name, root=ROOT):
    """``nbgrader generate_assignment`` (the only way release/ is written), after the
    check cells' points are written from the manifest (:mod:`tools.check_cells`), then
    :func:`prune_release`."""
    from tools.check_cells import sync_check_cells
    sync_check_cells(name, root)
    os.makedirs(os.path.join(root, "build"), exist_ok=True)
    _run([os.path.join(BIN, "nbgrader"), "generate_assignment", name, "--force",
          "--CourseDirectory.root=" + root], cwd=root)
    prune_release(name, root)


def _release_files(folder):
    """Every file under ``folder``, relative to it (``/``-separated), sorted."""
    return sorted(os.path.relpath(os.path.join(dirpath, f), folder).replace(os.sep, "/")
                  for dirpath, _, files in os.walk(folder) for f in files)


def _is_junk(path):
    """Hidden files and folders (``.OTTER_LOG``, ``.ipynb_checkpoints``), caches, logs."""
    parts = path.split("/")
    return (any(p.startswith(".") or p == "__pycache__" for p in parts)
            or path.endswith((".pyc", ".log")))


def prune_release(name, root=ROOT):
    """Make ``release/<name>/`` hold exactly the manifest's student files: hidden files,
    caches and logs are removed; any other file the manifest does not name is an error
    (list it as an artefact in tools/assignments.py, or delete it from source/)."""
    folder = os.path.join(root, "release", name)
    allowed = set(by_name(name).student_files())
    extra = [p for p in _release_files(folder) if p not in allowed]
    unknown = [p for p in extra if not _is_junk(p)]
    if unknown:
        raise RuntimeError(f"release/{name}/ holds files the manifest does not name: "
                           f"{', '.join(unknown)} (tools/assignments.py lists what students get)")
    for p in extra:
        os.remove(os.path.join(folder, p))
    for dirpath, _, _ in os.walk(folder, topdown=False):   # children first
        if dirpath != folder and not os.listdir(dirpath):
            os.rmdir(dirpath)


# ---- student bundles -------------------------------------------------------------------
def build_bundle(name, root=ROOT, out_dir=None):
    """``bundles/<name>.zip``: the files of ``release/<name>/`` the manifest names
    (:meth:`tools.assignments.Assignment.student_files`: notebook, public checks, data,
    checkpoints) and nothing else (no ``.OTTER_LOG`` that ``nbgrader validate`` leaves,
    no caches), with fixed timestamps so that rebuilding gives the same bytes."""
    import zipfile
    folder = os.path.join(root, "release", name)
    files = sorted(by_name(name).student_files())
    missing = [f for f in files if not os.path.isfile(os.path.join(folder, f))]
    if missing:
        raise RuntimeError(f"release/{name}/ lacks {', '.join(missing)}: run "
                           f"python -m tools.course release --only {name}")
    out_dir = out_dir or os.path.join(root, "bundles")
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(out_dir, name + ".zip")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for rel in files:
            info = zipfile.ZipInfo(rel, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(os.path.join(folder, rel), "rb") as fh:
                z.writestr(info, fh.read())
    return out


# ---- autograder ------------------------------------------------------------------------
# Course tools that grading never imports: left out of the grading image.
NOT_FOR_GRADING = ("nbgrader", "jupyterlab", "pytest")

# Installed with ``pip install --no-deps`` in the grading image: Otter declares
# nbconvert[webpdf] (playwright, a Chromium), Docker and Google clients that grading never
# uses, fica declares sphinx, ipykernel and IPython their optional debugger and completion
# (requirements-autograder.txt names what they do import); norse (requirements-nodeps.txt)
# declares torchvision.
NO_DEPS_IN_IMAGE = ("otter-grader", "fica", "ipylab", "ipython", "ipywidgets", "ipykernel")

# Where the grading image starts: Otter loads the plugin, the plugin starts
# ``python -m grading.runner``; the hidden module adds what it imports.
GRADING_ENTRY_POINTS = ("otter_plugin", "runner")

# The name the hidden checks and grading.checks' helpers receive the package ``lib``
# under (``check(sub, ref)``).
REFERENCE_PARAMETER = "ref"


def _requirement_name(line):
    return re.split(r"[=<>!~\[ ;@]", line, 1)[0].strip().lower().replace("_", "-")


def _requirement_lines(path):
    with open(path, encoding="utf-8") as f:
        return [ln.split("#")[0].strip() for ln in f if ln.split("#")[0].strip()]


def _image_lines(root):
    """The grading image's pins: the course's (a CPU-only torch, without
    ``NOT_FOR_GRADING``) and ``requirements-autograder.txt``."""
    lines = []
    for line in _requirement_lines(os.path.join(root, "requirements.txt")):
        if line.startswith("-") or _requirement_name(line) in NOT_FOR_GRADING:
            continue
        lines.append(line + "+cpu" if line.startswith("torch==") else line)
    return lines + _requirement_lines(os.path.join(root, "requirements-autograder.txt"))


def autograder_requirements(root=ROOT):
    """The zip's pip requirements installed with their dependencies (``environment.yml``):
    the course's pins with a CPU-only torch, without the instructor's and the test
    suite's tools (``NOT_FOR_GRADING``), and what Otter runs with
    (``requirements-autograder.txt``); those in ``NO_DEPS_IN_IMAGE`` go to
    :func:`autograder_nodeps_requirements` instead."""
    lines = ["--extra-index-url https://download.pytorch.org/whl/cpu"]
    lines += [ln for ln in _image_lines(root) if _requirement_name(ln) not in NO_DEPS_IN_IMAGE]
    return "\n".join(lines) + "\n"


def autograder_nodeps_requirements(root=ROOT):
    """What the zip's ``setup.sh`` installs with ``pip install --no-deps``
    (``requirements-nodeps.txt`` in the zip): Otter and the packages of
    ``NO_DEPS_IN_IMAGE``, norse and its two libraries (``requirements-nodeps.txt``) and
    the grading harness."""
    lines = [ln for ln in _image_lines(root) if _requirement_name(ln) in NO_DEPS_IN_IMAGE]
    lines += _requirement_lines(os.path.join(root, "requirements-nodeps.txt"))
    return "\n".join(lines + ["/autograder/source/files/harness"]) + "\n"


def _imported_modules(path, package, modules, exports=None, inside=False):
    """The modules of ``package`` (file names ``modules``) that the code in ``path`` imports
    (``inside``: ``path`` belongs to ``package``, so relative imports count) or, with
    ``exports`` (name -> module), uses through the package: ``ref.NAME`` /
    ``lib.NAME`` / ``from lib import NAME``.  Read from the code (``ast``), never from
    the words of a string: a string counts only as the exact name of an export, and only
    in a module that looks names up on the package with ``getattr(ref, variable)``."""
    import ast
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    exports = exports or {}

    def module_of(name):
        return name if name in modules else exports.get(name)

    found = set()
    handles = {REFERENCE_PARAMETER} if exports else set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] != package:
                    continue
                if len(parts) > 1 and parts[1] in modules:
                    found.add(parts[1])
                elif len(parts) == 1:
                    handles.add(alias.asname or package)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and (node.module or "").split(".")[0] == package:
                rest = node.module.split(".")[1:]
            elif node.level == 1 and inside:
                rest = (node.module or "").split(".") if node.module else []
            else:
                continue
            if rest:
                if rest[0] in modules:
                    found.add(rest[0])
                continue
            for alias in node.names:
                if module_of(alias.name):
                    found.add(module_of(alias.name))
                    if alias.name not in modules:
                        continue
                elif alias.name == "*":
                    found |= set(modules)
    dynamic = False
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in handles and module_of(node.attr)):
            found.add(module_of(node.attr))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id == "getattr" and len(node.args) >= 2
              and isinstance(node.args[0], ast.Name) and node.args[0].id in handles):
            name = node.args[1]
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                if module_of(name.value):
                    found.add(module_of(name.value))
            else:
                dynamic = True
    if dynamic:
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and module_of(node.value)):
                found.add(module_of(node.value))
    return found


def _package_modules(root, package):
    folder = os.path.join(root, package)
    return {f[:-3] for f in os.listdir(folder) if f.endswith(".py") and f != "__init__.py"}


def _closure(start, package, root, modules, exports=None):
    done, todo = set(), set(start)
    while todo:
        module = todo.pop()
        done.add(module)
        path = os.path.join(root, package, module + ".py")
        todo |= _imported_modules(path, package, modules, exports, inside=True) - done
    return done


def grading_modules(name, root=ROOT):
    """The modules of ``grading`` that grading ``name`` runs, sorted: Otter's plugin and
    the grading process (``GRADING_ENTRY_POINTS``), the modules the hidden checks import,
    and every module those import (``grading/__init__.py`` always ships too)."""
    modules = _package_modules(root, "grading")
    start = set(GRADING_ENTRY_POINTS) | _imported_modules(by_name(name).hidden_path(root),
                                                          "grading", modules)
    return sorted(_closure(start, "grading", root, modules))


def _lib_exports(root):
    import ast
    where = {}
    with open(os.path.join(root, "lib", "__init__.py"), encoding="utf-8") as f:
        for node in ast.walk(ast.parse(f.read())):
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "_EXPORTS"
                                                    for t in node.targets):
                for module, names in ast.literal_eval(node.value).items():
                    where.update({n: module for n in names})
    return where


def reference_modules(name, root=ROOT):
    """The modules of ``lib`` that grading ``name`` imports, sorted: those the hidden
    checks and the shipped ``grading`` modules (:func:`grading_modules`) import or reach
    through the package (``ref.lorenz_rhs`` is ``lib.dynamics``, ``lib``'s lazy export),
    then every module those import.  Derived from the code (:func:`_imported_modules`),
    not from the words of messages."""
    modules = _package_modules(root, "lib")
    exports = _lib_exports(root)
    paths = [by_name(name).hidden_path(root)] + [
        os.path.join(root, "grading", m + ".py") for m in grading_modules(name, root)]
    start = set()
    for path in paths:
        start |= _imported_modules(path, "lib", modules, exports)
    return sorted(_closure(start, "lib", root, modules, exports))


SETUP_SH = """#!/usr/bin/env bash
# The course's grading image, written by tools/course.py in place of Otter's template
# (which installs LaTeX when PDFs are on, Chromium through playwright always, and Otter's
# every extra): Python {python} from conda-forge in the environment Otter's run_autograder
# activates ({env}), the pip packages of environment.yml with their dependencies (the
# course's pins, a CPU-only torch, what Otter runs with), then requirements-nodeps.txt
# without theirs (Otter, norse and its two libraries, the grading harness).
# No LaTeX, no pandoc, no browser: the course never makes PDFs ("pdf": false).
set -e

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends wget ca-certificates

if [ "$(uname -m)" = "aarch64" ] || [ "$(uname -m)" = "arm64" ]; then arch=aarch64; else arch=x86_64; fi
wget -nv https://github.com/conda-forge/miniforge/releases/download/{miniforge}/Miniforge3-Linux-$arch.sh \\
    -O /autograder/source/mamba_install.sh
bash /autograder/source/mamba_install.sh -b
rm -f /autograder/source/mamba_install.sh
echo "export PATH=/root/miniforge3/bin:\\$PATH" >> /root/.bashrc
export PATH=/root/miniforge3/bin:$PATH

mamba env create -f /autograder/source/environment.yml
mamba run -n {env} pip install --no-cache-dir --no-deps -r /autograder/source/requirements-nodeps.txt
mamba clean --all --yes
# Fail the image build, not the first submission, if anything grading imports is missing.
mamba run -n {env} python -c "import otter.run.run_autograder, grading.otter_plugin, grading.runner, norse.torch, torchdiffeq"

mamba shell init --shell bash
"""


def autograder_environment(root=ROOT):
    """The zip's ``environment.yml``: Python and pip from conda-forge, and the pip
    packages of :func:`autograder_requirements` (Otter's own adds ``jupyter_server``,
    which grading never starts)."""
    import yaml
    from otter.generate import OTTER_ENV_NAME
    pip = autograder_requirements(root).splitlines()
    env = {"name": OTTER_ENV_NAME, "channels": ["conda-forge"],
           "dependencies": [f"python={AUTOGRADER_PYTHON}", "pip", {"pip": pip}]}
    return yaml.safe_dump(env, sort_keys=False, default_flow_style=False)


def autograder_setup_sh():
    """The zip's ``setup.sh`` (:data:`SETUP_SH`), with Otter's Miniforge release."""
    from otter.generate import MINIFORGE_VERSION, OTTER_ENV_NAME
    return SETUP_SH.format(python=AUTOGRADER_PYTHON, env=OTTER_ENV_NAME, miniforge=MINIFORGE_VERSION)


def _lean_image(zip_path, root=ROOT):
    """Replace the image files of the zip ``otter generate`` wrote (``setup.sh``,
    ``environment.yml``) by the course's, and add ``requirements-nodeps.txt``."""
    import zipfile
    replace = {"setup.sh": autograder_setup_sh(), "environment.yml": autograder_environment(root),
               "requirements-nodeps.txt": autograder_nodeps_requirements(root)}
    tmp = zip_path + ".tmp"
    with zipfile.ZipFile(zip_path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            if info.filename not in replace:
                out.writestr(info, src.read(info.filename))
        for name, text in replace.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o755 if name.endswith(".sh") else 0o644) << 16
            out.writestr(info, text)
    os.replace(tmp, zip_path)


def stage_autograder(name, root=ROOT, stage_root=None, feedback=None):
    """Lay out what ``otter generate`` zips: the questions' test files, the ``lib`` and
    ``grading`` modules grading imports (:func:`reference_modules`,
    :func:`grading_modules`), the hidden checks, the assignment's public files and the
    image's requirements."""
    from grading.feedback import check_policy
    from grading.otter_tests import question_file_source
    from tools.course_config import feedback_policy
    spec = by_name(name)
    policy = check_policy(feedback or feedback_policy(name))
    stage = os.path.join(stage_root or os.path.join(root, "build", "autograder"), name)
    shutil.rmtree(stage, ignore_errors=True)
    os.makedirs(os.path.join(stage, "tests"))
    points = spec.points()
    for question, value in points.items():
        with open(os.path.join(stage, "tests", question + ".py"), "w", encoding="utf-8") as f:
            f.write(question_file_source(question, value))
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    os.makedirs(os.path.join(stage, "lib"))
    for ref_module in ["__init__", *reference_modules(name, root)]:
        shutil.copy(os.path.join(root, "lib", ref_module + ".py"), os.path.join(stage, "lib"))
    for data in sorted(os.listdir(os.path.join(root, "lib"))):   # reference data (fingerprints)
        if data.endswith(".json"):
            shutil.copy(os.path.join(root, "lib", data), os.path.join(stage, "lib"))
    os.makedirs(os.path.join(stage, "hidden"))
    shutil.copy(os.path.join(root, "hidden", "__init__.py"), os.path.join(stage, "hidden"))
    shutil.copy(spec.hidden_path(root), os.path.join(stage, "hidden"))
    harness = os.path.join(stage, "harness")
    os.makedirs(os.path.join(harness, "grading"))
    for module in ["__init__", *grading_modules(name, root)]:
        shutil.copy(os.path.join(root, "grading", module + ".py"), os.path.join(harness, "grading"))
    shutil.copy(os.path.join(root, "pyproject.toml"), harness)
    for folder in spec.public:
        src = os.path.join(root, "source", name, folder)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(stage, folder), ignore=ignore)
    with open(os.path.join(stage, "requirements.txt"), "w", encoding="utf-8") as f:
        f.write(autograder_requirements(root))
    with open(os.path.join(stage, "requirements-nodeps.txt"), "w", encoding="utf-8") as f:
        f.write(autograder_nodeps_requirements(root))
    config = {
        "lang": "python",
        # Feedback policy (tools/course_config.py, grading/feedback.py): the plugin
        # writes it into results.json: "immediate" shows each question's score and
        # message at once; "after_due_date" / "after_publish" show one neutral line per
        # question and no total until Gradescope releases the results.  Messages say
        # what was checked, never the reference or the expected values.
        "plugins": [{"grading.otter_plugin.TrustedGrading": {
            "hidden_module": spec.hidden, "public_files": spec.public,
            "preload": list(spec.preload), "feedback": policy,
            "extensions": spec.grade_extensions}}],
        "pdf": False,
        "show_stdout": False,
        "show_all_public": True,
        "show_hidden": False,
        "print_summary": True,
        "points_possible": sum(points.values()),
    }
    with open(os.path.join(stage, "otter_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
    return stage


def build_autograder(name, root=ROOT, out_dir=None, stage_root=None, feedback=None):
    """Stage (in ``stage_root``, default ``build/autograder``) and ``otter generate`` the
    zip ``autograder/<name>.zip`` with the course's lean image (``setup.sh``,
    ``environment.yml``, ``requirements-nodeps.txt``: :func:`_lean_image`);
    ``feedback`` overrides the course's feedback policy."""
    stage = stage_autograder(name, root, stage_root, feedback)
    out_dir = out_dir or os.path.join(root, "autograder")
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(out_dir, name + ".zip")
    files = [p for p in ("lib", "hidden", "harness", *by_name(name).public)
             if os.path.exists(os.path.join(stage, p))]
    _run([os.path.join(BIN, "otter"), "generate", "-t", "tests", "-o", out,
          "-r", "requirements.txt", "--overwrite-requirements",
          "--python-version", AUTOGRADER_PYTHON, "--no-environment", *files], cwd=stage)
    _lean_image(out, root)
    return out


# ---- solutions -------------------------------------------------------------------------
def execute_solution(name, root=ROOT, out_root=None, timeout=900):
    """Execute the source notebook (with solutions) in a copy of its folder; write the
    executed notebook and an HTML rendering to ``solutions/<name>/``."""
    import nbformat
    from nbclient import NotebookClient
    out_dir = os.path.join(out_root or os.path.join(root, "solutions"), name)
    shutil.rmtree(out_dir, ignore_errors=True)
    shutil.copytree(os.path.join(root, "source", name), out_dir,
                    ignore=shutil.ignore_patterns("tests", "__pycache__", ".ipynb_checkpoints"))
    shutil.copytree(os.path.join(root, "release", name, "tests"), os.path.join(out_dir, "tests"))
    path = os.path.join(out_dir, name + ".ipynb")
    nb = nbformat.read(path, as_version=4)
    # The kernel keeps its inline backend (no MPLBACKEND=Agg here): the figures must be
    # in the executed notebook and its HTML.
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": out_dir}}).execute(env=env)
    nbformat.write(nb, path)
    _run([os.path.join(BIN, "jupyter"), "nbconvert", "--to", "html", path], cwd=out_dir)
    return path


# ---- grading ---------------------------------------------------------------------------
def otter_grade(zip_path, notebook, out_dir=None):
    """``otter run`` one notebook; return (score, max_score, seconds, results dict).
    Raises ``RuntimeError`` when Otter fails or writes no results."""
    from grading.otter_run import otter_run
    run = otter_run(zip_path, notebook, out_dir, env=_env())
    if run.returncode != 0 or run.results is None:
        raise RuntimeError(f"otter run failed ({run.returncode}) on {notebook}:\n{run.output}")
    return run.score, run.max_score, run.seconds, run.results


def grade_builds(names, root=ROOT):
    """Grade each solution (must be full marks) and untouched release (must be zero)."""
    rows, ok = [], True
    for name in names:
        zip_path = os.path.join(root, "autograder", name + ".zip")
        for kind, nb in (("solution", os.path.join(root, "solutions", name, name + ".ipynb")),
                         ("release", os.path.join(root, "release", name, name + ".ipynb"))):
            score, max_score, seconds, _ = otter_grade(zip_path, nb)
            good = (score == max_score) if kind == "solution" else (score == 0)
            ok &= good
            rows.append((name, kind, score, max_score, seconds, good))
    print(f"\n{'assignment':30s} {'notebook':9s} {'score':>6s} {'max':>5s} {'seconds':>8s}")
    for name, kind, score, max_score, seconds, good in rows:
        print(f"{name:30s} {kind:9s} {score:6g} {max_score:5g} {seconds:8.1f}"
              f"{'' if good else '   <-- WRONG'}")
    return ok, rows


# ---- artefacts -------------------------------------------------------------------------
def write_metrics(root=ROOT, names=None, jobs=2):
    """The figures the manifest lists under the ``metrics`` step (05's table), measured
    again on every build: ``python -m tools.synthesis_metrics --out PATH --jobs 2``.
    Training and free runs do not reproduce bit for bit across machines, so the stored
    table is always the building machine's, the machine whose 04 prints the same values
    (about 6 minutes on two cores)."""
    for spec in with_step("metrics", names):
        for art in spec.artefacts_of("metrics"):
            path = os.path.join(root, "source", spec.name, art.path)
            if os.path.isdir(os.path.join(root, "source", spec.name)):
                _run([sys.executable, "-m", "tools.synthesis_metrics", "--out", path,
                      "--jobs", str(jobs)], cwd=root, quiet=False)


# ---- CLI -------------------------------------------------------------------------------
STEPS = ["data", "checkpoints", "metrics", "release", "bundles", "autograder", "solutions",
         "grade"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("step", choices=["build", *STEPS, "new"])
    parser.add_argument("name", nargs="?", help="with new: the assignment to create, NN_name")
    parser.add_argument("--only", help="restrict to one assignment")
    args = parser.parse_args(argv)
    if args.step == "new":
        from tools.scaffold import new_assignment
        if not args.name:
            parser.error("new needs the assignment's name, e.g. new 06_topic_name")
        for path in new_assignment(args.name, ROOT):
            print("wrote", os.path.relpath(path, ROOT))
        print(f"next: python -m tools.course build --only {args.name}")
        return 0
    check(ROOT, partial=True)
    names = [a.name for a in available(ROOT)]
    if args.only:
        names = [by_name(args.only).name]
    steps = STEPS if args.step == "build" else [args.step]
    t_all = time.monotonic()
    for step in steps:
        t0 = time.monotonic()
        if step == "data":
            write_task_data(names=names)
        elif step == "checkpoints" and with_step("checkpoints", names):
            from tools.checkpoints import write_checkpoints
            write_checkpoints()
        elif step == "metrics":
            write_metrics(names=names)
        for name in names:
            if step == "release":
                generate_release(name)
            elif step == "bundles":
                build_bundle(name)
            elif step == "autograder":
                build_autograder(name)
            elif step == "solutions":
                execute_solution(name)
        if step == "grade":
            ok, _ = grade_builds(names)
            if not ok:
                print("\nBUILD FAILED: a solution is not at full marks or a release is not at zero")
                return 1
        print(f"[{step}] done in {time.monotonic() - t0:.1f} s", flush=True)
    print(f"[{args.step}] all done in {time.monotonic() - t_all:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
