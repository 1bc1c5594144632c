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
    """``nbgrader generate_assignment`` (the only way release/ is written), then
    :func:`prune_release`."""
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


def autograder_requirements(root=ROOT):
    """The zip's pip requirements: the course's pins, with a CPU-only torch, without the
    instructor's and the test suite's tools (``NOT_FOR_GRADING``)."""
    lines = ["--extra-index-url https://download.pytorch.org/whl/cpu"]
    with open(os.path.join(root, "requirements.txt"), encoding="utf-8") as f:
        for line in f:
            line = line.split("#")[0].strip()
            if not line or line.startswith("-"):
                continue
            if re.split(r"[=<>!~\[ ]", line, 1)[0].lower() in NOT_FOR_GRADING:
                continue
            if line.startswith("torch=="):
                line = line + "+cpu"
            lines.append(line)
    with open(os.path.join(root, "requirements-nodeps.txt"), encoding="utf-8") as f:
        lines += [ln.split("#")[0].strip() for ln in f if ln.split("#")[0].strip()]
    lines.append("/autograder/source/files/harness")
    return "\n".join(lines) + "\n"


def reference_modules(name, root=ROOT):
    """The modules of ``lib`` that the hidden checks of ``name`` can reach, sorted.

    Generous by construction (shipping a module too many costs nothing, one too few
    costs points): every identifier, attribute or string in the hidden module that is a
    name ``lib`` exports or a module of ``lib`` counts, then the modules those import."""
    import ast
    lib_dir = os.path.join(root, "lib")
    modules = {f[:-3] for f in os.listdir(lib_dir) if f.endswith(".py") and f != "__init__.py"}
    where = {}
    with open(os.path.join(lib_dir, "__init__.py"), encoding="utf-8") as f:
        for node in ast.walk(ast.parse(f.read())):
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "_EXPORTS"
                                                    for t in node.targets):
                for module, names in ast.literal_eval(node.value).items():
                    where.update({n: module for n in names})

    def reached(path):
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read())
        found = set()
        for node in ast.walk(tree):
            words = []
            if isinstance(node, ast.Name):
                words = [node.id]
            elif isinstance(node, ast.Attribute):
                words = [node.attr]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                words = re.findall(r"\w+", node.value)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                words = [(getattr(node, "module", None) or "")] + [a.name for a in node.names]
                words = [p for w in words for p in w.split(".")]
            for w in words:
                if w in modules:
                    found.add(w)
                elif w in where:
                    found.add(where[w])
        return found

    todo = reached(by_name(name).hidden_path(root))
    done = set()
    while todo:
        module = todo.pop()
        done.add(module)
        todo |= reached(os.path.join(lib_dir, module + ".py")) - done
    return sorted(done)


def stage_autograder(name, root=ROOT, stage_root=None, feedback=None):
    """Lay out what ``otter generate`` zips: the questions' test files, reference, hidden checks,
    the grading harness and the assignment's public files."""
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
    shutil.copytree(os.path.join(root, "grading"), os.path.join(harness, "grading"), ignore=ignore)
    shutil.copy(os.path.join(root, "pyproject.toml"), harness)
    for folder in spec.public:
        src = os.path.join(root, "source", name, folder)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(stage, folder), ignore=ignore)
    with open(os.path.join(stage, "requirements.txt"), "w", encoding="utf-8") as f:
        f.write(autograder_requirements(root))
    config = {
        "lang": "python",
        # Feedback policy (tools/course_config.py, grading/feedback.py): the plugin
        # writes it into results.json: "immediate" shows each question's score and
        # message at once; "after_due_date" / "after_publish" show one neutral line per
        # question and no total until Gradescope releases the results.  Messages say
        # what was checked, never the reference or the expected values.
        "plugins": [{"grading.otter_plugin.TrustedGrading": {
            "hidden_module": spec.hidden, "public_files": spec.public,
            "preload": list(spec.preload), "feedback": policy}}],
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
    zip ``autograder/<name>.zip``; ``feedback`` overrides the course's feedback policy."""
    stage = stage_autograder(name, root, stage_root, feedback)
    out_dir = out_dir or os.path.join(root, "autograder")
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(out_dir, name + ".zip")
    files = [p for p in ("lib", "hidden", "harness", *by_name(name).public)
             if os.path.exists(os.path.join(stage, p))]
    _run([os.path.join(BIN, "otter"), "generate", "-t", "tests", "-o", out,
          "-r", "requirements.txt", "--python-version", AUTOGRADER_PYTHON,
          "--no-environment", *files], cwd=stage)
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
