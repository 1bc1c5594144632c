"""The real autograder zips, built by ``otter generate`` and run by ``otter run`` and by
Gradescope's entry point: solutions get full marks, untouched releases zero, a
tampering submission gains nothing."""

import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from notebooks import ROOT, release_path, source_path, variant
from tools.assignments import available, by_name
from tools.course import build_autograder, otter_grade

pytestmark = pytest.mark.slow
NAMES = [a["name"] for a in available(ROOT)]


@pytest.fixture(scope="session")
def zips(tmp_path_factory):
    out = tmp_path_factory.mktemp("autograder")
    return {name: build_autograder(name, out_dir=str(out)) for name in NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_solution_full_marks_release_zero(zips, name):
    score, max_score, _, results = otter_grade(zips[name], source_path(name))
    assert max_score > 0 and score == max_score, json.dumps(results["tests"], indent=1)[:3000]
    score, max_score, _, results = otter_grade(zips[name], release_path(name))
    assert score == 0 and max_score > 0
    assert all("score" in t for t in results["tests"] if t["name"] != "Public Tests")


def test_zip_contents(zips):
    for name, path in zips.items():
        with zipfile.ZipFile(path) as z:
            files = set(z.namelist())
            config = json.loads(z.read("otter_config.json"))
            env = z.read("environment.yml").decode()
        assert "files/lib/__init__.py" in files and any(f.startswith("files/hidden/") for f in files)
        assert "files/harness/grading/worker.py" in files
        assert config["plugins"][0]["grading.otter_plugin.TrustedGrading"]["hidden_module"]
        assert "torch==2.13.0+cpu" in env and "download.pytorch.org/whl/cpu" in env


def test_monkeypatching_through_otter_gains_nothing(zips, tmp_path):
    name = "00_introduction"
    wrong = "def lorenz_rhs(state, sigma=10.0, rho=28.0, beta=8/3):\n    return np.zeros_like(state)"
    patch = ("import numpy, numpy.testing\nnumpy.testing.assert_allclose = lambda *a, **k: None\n"
             "numpy.allclose = lambda *a, **k: True\nimport os\nos._exit(0)")
    path = variant(name, tmp_path, replace={"lorenz_rhs": wrong}, append=[patch])
    score, max_score, _, results = otter_grade(zips[name], path)
    assert score == max_score - 2
    by_name = {t["name"]: t for t in results["tests"]}
    assert by_name["lorenz_rhs"]["score"] == 0


def test_worker_inherits_nothing_secret_from_the_grader(zips, tmp_path):
    """Workers are forked from the grading process's preloaded image: that image must
    hold no reference code, hidden checks or expected values (real zip, real plugin)."""
    name = "00_introduction"
    attack = """
import gc, sys
def lorenz_rhs(state, sigma=10.0, rho=28.0, beta=8/3):
    found = [m for m in sys.modules if m.split(".")[0] in ("lib", "hidden")]
    for obj in gc.get_objects():
        mod = getattr(obj, "__module__", None)
        if isinstance(mod, str) and mod.split(".")[0] in ("lib", "hidden"):
            found.append(repr(obj)[:40])
    for frame in sys._current_frames().values():
        while frame is not None:
            found += [k for k in frame.f_locals if k in ("ref", "expected", "registry", "module")]
            frame = frame.f_back
    if found:
        raise RuntimeError("INHERITED " + " ".join(found[:5]))
    x, y, z = state[..., 0], state[..., 1], state[..., 2]  # nothing inherited: a right answer
    return np.stack([sigma * (y - x), x * (rho - z) - y, x * y - beta * z], axis=-1)
"""
    # Messages do not echo the student's exception text (a channel out of the grader), so
    # the verdict says it: full marks only if nothing was inherited.
    path = variant(name, tmp_path, replace={"lorenz_rhs": attack})
    score, max_score, _, results = otter_grade(zips[name], path)
    assert score == max_score, json.dumps(results["tests"], indent=1)[:2000]
    output = {t["name"]: t for t in results["tests"]}["lorenz_rhs"].get("output", "")
    assert "INHERITED" not in output


def _gradescope_run(zip_path, notebook, scratch):
    """Lay the zip out at /autograder (private mount namespace) and run Gradescope's entry
    point with the course environment's Python (the zip's conda set-up needs the internet).
    The zip's own grading harness is imported, as its set-up installs it (never a copy
    installed in the course environment, which may be older)."""
    ag = os.path.join(scratch, "autograder")
    for sub in ("source", "submission", "results"):
        os.makedirs(os.path.join(ag, sub))
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(os.path.join(ag, "source"))
    shutil.copy(notebook, os.path.join(ag, "submission"))
    with open(os.path.join(ag, "submission_metadata.json"), "w") as f:
        json.dump({}, f)
    script = (f"mount --bind {ag} /autograder && cd /autograder && "
              f"{sys.executable} /autograder/source/run_otter.py")
    proc = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                          capture_output=True, text=True, timeout=900,
                          env={**os.environ, "PATH": os.path.dirname(sys.executable) + ":" + os.environ["PATH"],
                               "PYTHONPATH": "/autograder/source/files/harness"})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    with open(os.path.join(ag, "results", "results.json")) as f:
        return json.load(f)


@pytest.mark.skipif(os.geteuid() != 0,
                    reason="needs root for a private mount namespace")
def test_gradescope_entry_point(zips, tmp_path):
    name = "00_introduction"
    os.makedirs("/autograder", exist_ok=True)
    results = _gradescope_run(zips[name], source_path(name), str(tmp_path))
    scored = [t for t in results["tests"] if "max_score" in t]
    assert sum(t["score"] for t in scored) == sum(t["max_score"] for t in scored) > 0


def test_batch_grading_survives_a_broken_submission(zips, tmp_path):
    import csv
    from grading import batch
    name = "00_introduction"
    sub = tmp_path / "submitted"
    for student, src in (("ada", source_path(name)), ("bob", release_path(name)), ("eve", None)):
        folder = sub / student / name
        folder.mkdir(parents=True)
        if src:
            shutil.copy(src, folder / f"{name}.ipynb")
        else:
            (folder / f"{name}.ipynb").write_text("{ this is not a notebook")
    out = tmp_path / "grades"
    assert batch.main([str(sub), "--autograder", zips[name], "--out", str(out), "--jobs", "2"]) == 0
    with open(out / "gradebook.csv") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert set(rows) == {"ada", "bob", "eve"}
    full = sum(by_name(name).points().values())
    assert float(rows["ada"]["total"]) == full and float(rows["bob"]["total"]) == 0
    assert float(rows["eve"]["total"]) == 0
    assert (out / "feedback" / "bob.txt").read_text().count("not done yet") >= 1
