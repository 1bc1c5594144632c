"""Students' path: complete and clean bundles, a set-up cell that does nothing where the
course environment is present, and public checks that say they are not the grade."""

import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from notebooks import ROOT, read, release_path, source_path
from tools.assignments import available, by_name
from tools.colab import (SETUP_BEGIN, SETUP_END, badge, imported_modules, packages_for,
                         setup_code)
from tools.course import build_bundle

NAMES = [a["name"] for a in available(ROOT)]


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    out = tmp_path_factory.mktemp("bundles")
    return {name: build_bundle(name, out_dir=str(out)) for name in NAMES}


def _release_files(name):
    folder = os.path.join(ROOT, "release", name)
    return sorted(os.path.relpath(os.path.join(r, f), folder)
                  for r, _, fs in os.walk(folder) for f in fs if not f.endswith(".pyc"))


@pytest.mark.parametrize("name", NAMES)
def test_bundle_is_exactly_the_release(bundles, name):
    with zipfile.ZipFile(bundles[name]) as z:
        assert sorted(z.namelist()) == _release_files(name)


@pytest.mark.parametrize("name", NAMES)
def test_bundle_is_reproducible(bundles, name, tmp_path):
    again = build_bundle(name, out_dir=str(tmp_path))
    with open(again, "rb") as a, open(bundles[name], "rb") as b:
        assert a.read() == b.read()


@pytest.mark.parametrize("name", NAMES)
def test_bundle_holds_every_public_file_the_grader_uses(bundles, name):
    with zipfile.ZipFile(bundles[name]) as z:
        tops = {n.split("/")[0] for n in z.namelist()}
    assert set(by_name(name)["public"]) <= tops
    assert "tests" in tops and f"{name}.ipynb" in tops


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_solution_runs_from_an_unpacked_bundle(bundles, name, tmp_path):
    """Complete: with only the bundle's files and the course environment, the notebook
    (with its solutions filled in) runs top to bottom, public checks included."""
    from nbclient import NotebookClient
    with zipfile.ZipFile(bundles[name]) as z:
        z.extractall(tmp_path)
    nb = read(source_path(name))
    os.environ.setdefault("MPLBACKEND", "Agg")
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "nothing to install" in outputs and "public files: present" in outputs


@pytest.mark.parametrize("name", NAMES)
def test_notebook_starts_with_badge_and_setup(name):
    nb = read(source_path(name))
    first_md = next(c for c in nb.cells if c.cell_type == "markdown")
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert badge(name) in first_md.source
    assert first_code.source.startswith(setup_code(name, packages_for(imported_modules(nb)))), \
        "run `python -m tools.colab`"


@pytest.mark.parametrize("name", NAMES)
def test_setup_cell_installs_what_the_notebook_imports_and_nothing_else(name):
    """A bare laptop gets every course package the notebook imports (pinned as in
    requirements*.txt) and nothing it does not import (00 installs no torch)."""
    import ast
    nb = read(release_path(name))
    block = _setup_block(name)
    packages = ast.literal_eval(block.split("PACKAGES = ", 1)[1].split("\n", 1)[0])
    course = {"otter", "numpy", "matplotlib", "scipy", "pandas", "torch", "torchdiffeq",
              "tqdm", "norse"}
    assert set(packages) == (imported_modules(nb) & course) | {"otter"}
    for args in packages.values():
        assert all(a.startswith("-") or "==" in a for a in args), args
    if name == "00_introduction":
        assert "torch" not in packages
    if "norse" in packages:
        assert "--no-deps" in packages["norse"] and any(a.startswith("h5py==") for a in packages["norse"])


def _setup_block(name):
    code = next(c for c in read(release_path(name)).cells if c.cell_type == "code").source
    return code[code.index(SETUP_BEGIN):code.index(SETUP_END) + len(SETUP_END)]


@pytest.mark.parametrize("name", NAMES)
def test_setup_cell_installs_nothing_in_the_course_environment(name, tmp_path):
    shutil.copytree(os.path.join(ROOT, "release", name), tmp_path / name)
    # A pip that fails loudly: the set-up must not call it here.
    fake = tmp_path / "bin"
    fake.mkdir()
    proc = subprocess.run([sys.executable, "-c", _setup_block(name)], cwd=tmp_path / name,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PIP_INDEX_URL": "http://127.0.0.1:9/none",
                               "PIP_NO_INDEX": "1"})
    assert proc.returncode == 0, proc.stderr
    assert "nothing to install" in proc.stdout and "public files: present" in proc.stdout


def test_setup_cell_fetches_the_bundle_when_public_files_are_missing(tmp_path, bundles):
    """Without tests/, the cell downloads the bundle (served here from a local folder)."""
    import http.server
    import threading
    name = "00_introduction"
    serve = tmp_path / "serve"
    (serve / "bundles").mkdir(parents=True)
    shutil.copy(bundles[name], serve / "bundles" / f"{name}.zip")
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(serve), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        block = _setup_block(name)
        local = block.replace(block[block.index('"https://github.com/'):block.index('" + ASSIGNMENT')],
                              f'"http://127.0.0.1:{server.server_port}/bundles/')
        work = tmp_path / "colab"
        work.mkdir()
        proc = subprocess.run([sys.executable, "-c", local], cwd=work, capture_output=True,
                              text=True, timeout=120)
    finally:
        server.shutdown()
    assert proc.returncode == 0, proc.stderr
    assert (work / "tests" / "lorenz_rhs.py").exists()
    assert not (work / f"{name}.ipynb").exists(), "the student's notebook must not be overwritten"


@pytest.mark.parametrize("name", NAMES)
def test_public_checks_say_they_are_not_the_grade(name):
    folder = os.path.join(ROOT, "release", name, "tests")
    for f in os.listdir(folder):
        if f.endswith(".py"):
            with open(os.path.join(folder, f), encoding="utf-8") as fh:
                text = fh.read()
            assert "hidden tests decide the grade" in text, f"{name}/tests/{f}"
