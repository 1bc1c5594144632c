"""The grading image is lean: the zip installs what grading imports (no browser, no
torchvision, no Google clients, no sphinx, no instructor tools), and each zip ships only
the ``lib`` and ``grading`` modules its grading imports, found from the code's imports,
never from words in strings; enough to grade the solution at full marks (every
assignment through the real zips: tests/e2e; the image installed in a fresh virtual
environment: tests/e2e/test_lean_image.py)."""

import os
import re
import shutil
import textwrap
import zipfile

import pytest

from notebooks import ROOT, public_files, source_path
from tools.assignments import ASSIGNMENTS, by_name
from tools.course import (NO_DEPS_IN_IMAGE, NOT_FOR_GRADING, _imported_modules, _lean_image,
                          autograder_environment, autograder_nodeps_requirements,
                          autograder_requirements, autograder_setup_sh, grading_modules,
                          reference_modules, stage_autograder)

NEVER_IN_IMAGE = ("playwright", "pyppeteer", "torchvision", "google", "gspread", "sphinx",
                  "jupytext", "python-on-whales", "pypdf", "jupyterlab-server", "jupyter-server",
                  "nbgrader", "pytest", "debugpy", "jedi")


def _names(text):
    return [re.split(r"[=<>!~\[ ;@]", ln, 1)[0].lower()
            for ln in text.splitlines() if ln.strip() and not ln.startswith("-")]


def test_requirements_leave_out_instructor_tools_and_every_extra():
    with_deps = _names(autograder_requirements())
    nodeps = _names(autograder_nodeps_requirements())
    for name in with_deps + nodeps:
        assert not name.startswith(NEVER_IN_IMAGE) and name != "jupyterlab", name
    for tool in NOT_FOR_GRADING:
        assert tool not in with_deps + nodeps
    for needed in ("torch", "numpy", "nbconvert", "nbformat", "requests"):
        assert needed in with_deps, needed
    assert "torch==2.13.0+cpu" in autograder_requirements()
    # Installed without what they declare: each would pull a browser, sphinx, CUDA torch ...
    for name in NO_DEPS_IN_IMAGE + ("norse", "nir", "nirtorch"):
        assert name in nodeps and name not in with_deps, name
    assert autograder_nodeps_requirements().splitlines()[-1] == "/autograder/source/files/harness"


def test_setup_installs_no_browser_latex_or_pandoc():
    setup = autograder_setup_sh()
    commands = "\n".join(ln for ln in setup.lower().splitlines() if not ln.startswith("#"))
    for word in ("playwright", "chromium", "texlive", "pandoc", "nb_conda_kernels", " jq"):
        assert word not in commands, word
    assert "mamba env create -f /autograder/source/environment.yml" in setup
    assert "pip install --no-cache-dir --no-deps -r /autograder/source/requirements-nodeps.txt" in setup
    assert setup.startswith("#!/usr/bin/env bash\n") and "set -e" in setup
    env = autograder_environment()
    assert "jupyter_server" not in env and "python=3.11" in env and "torch==2.13.0+cpu" in env


def test_lean_image_replaces_otters_setup_and_keeps_the_rest(tmp_path):
    path = str(tmp_path / "a.zip")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("setup.sh", "playwright install chromium\n")
        z.writestr("environment.yml", "dependencies: [jupyter_server]\n")
        z.writestr("files/hidden/a00.py", "x = 1\n")
        z.writestr("otter_config.json", "{}")
    _lean_image(path)
    with zipfile.ZipFile(path) as z:
        assert sorted(z.namelist()) == sorted(["setup.sh", "environment.yml", "files/hidden/a00.py",
                                               "otter_config.json", "requirements-nodeps.txt"])
        assert z.read("setup.sh").decode() == autograder_setup_sh()
        assert z.read("environment.yml").decode() == autograder_environment()
        assert z.read("requirements-nodeps.txt").decode() == autograder_nodeps_requirements()
        assert z.read("files/hidden/a00.py") == b"x = 1\n"
        assert (z.getinfo("setup.sh").external_attr >> 16) & 0o111


def _module(tmp_path, text):
    path = tmp_path / "hidden.py"
    path.write_text(textwrap.dedent(text))
    return str(path)


MODULES = {"dynamics", "ctrnn", "comparison", "ei", "spiking", "task"}
EXPORTS = {"lorenz_rhs": "dynamics", "CTRNN": "ctrnn", "balance_index": "ei",
           "lif_step": "spiking", "comparison_table": "synthesis"}


def test_words_in_strings_and_names_pull_no_module(tmp_path):
    path = _module(tmp_path, '''
        def check(sub, ref):
            ei = 3                                   # a local name that is a module's name
            comparison = "the comparison of spiking and ei networks failed"
            got = sub.call("lif_step", ei)           # a student's function named like an export
            expect(got, ref.lorenz_rhs(1), "lorenz_rhs on CTRNN inputs, see lib.spiking")
        ''')
    assert _imported_modules(path, "lib", MODULES, EXPORTS) == {"dynamics"}


def test_imports_and_package_attributes_pull_modules(tmp_path):
    path = _module(tmp_path, '''
        import lib as L
        from lib import ctrnn as lc
        from lib.spiking import lif_step
        def check(sub, ref):
            return L.balance_index, lc.CTRNN
        ''')
    assert _imported_modules(path, "lib", MODULES, EXPORTS) == {"ei", "ctrnn", "spiking"}


def test_a_dynamic_lookup_counts_exact_export_names_only(tmp_path):
    path = _module(tmp_path, '''
        def _same(sub, ref, name):
            return getattr(ref, name)
        def check(sub, ref):
            _same(sub, ref, "CTRNN")
            raise CheckFailed("lorenz_rhs differs")  # a message, not a name
        ''')
    assert _imported_modules(path, "lib", MODULES, EXPORTS) == {"ctrnn"}


def test_each_zip_ships_the_lib_modules_its_grading_imports():
    all_modules = {f[:-3] for f in os.listdir(os.path.join(ROOT, "lib"))
                   if f.endswith(".py") and f != "__init__.py"}
    assert reference_modules("00_introduction") == ["dynamics", "task"]
    assert "ctrnn" in reference_modules("02_balanced_rate_network")  # lib.ei imports lib.ctrnn
    # 01's messages mention "comparison"; no code of its grading imports lib.comparison
    assert "comparison" not in reference_modules("01_continuous_time_rnn")
    for a in ASSIGNMENTS:
        modules = reference_modules(a["name"])
        assert modules == sorted(set(modules)) and set(modules) <= all_modules
        assert len(modules) < len(all_modules) - 3, (a["name"], modules)


def test_each_zip_ships_the_grading_modules_it_runs():
    machinery = {"otter_plugin", "runner", "launch", "forkserver", "worker", "sandbox",
                 "isolation", "codec", "records", "checks", "fixtures", "feedback"}
    instructor_only = {"batch", "nbgrader_autograde", "nbgrader_import", "nbgrader_validate",
                       "otter_run", "otter_tests"}
    for a in ASSIGNMENTS:
        modules = set(grading_modules(a["name"]))
        assert machinery <= modules and not modules & instructor_only, (a["name"], modules)


@pytest.mark.parametrize("name", ["00_introduction", "04_dynamical_analysis", "05_synthesis"])
def test_staged_reference_grades_the_solution(tmp_path, name):
    from grading.launch import run_grader
    from grading.records import Job
    stage = stage_autograder(name, stage_root=str(tmp_path / "stage"))
    shipped = sorted(f[:-3] for f in os.listdir(os.path.join(stage, "lib")) if f.endswith(".py"))
    assert shipped == sorted(["__init__", *reference_modules(name)])
    harness = sorted(f[:-3] for f in os.listdir(os.path.join(stage, "harness", "grading")))
    assert harness == sorted(["__init__", *grading_modules(name)])
    private = tmp_path / "private"
    private.mkdir()
    for folder in ("lib", "hidden"):
        shutil.copytree(os.path.join(stage, folder), private / folder)
    spec = by_name(name)
    job = Job(notebook=source_path(name), hidden_module=spec.hidden, private=str(private),
              out=str(private / "verdicts.json"), public_files=tuple(public_files(name)),
              preload=tuple(spec.preload))
    questions, _ = run_grader(job, str(private))
    wrong = {q.name: q.message for q in questions if not q.passed}
    assert questions and not wrong, wrong
