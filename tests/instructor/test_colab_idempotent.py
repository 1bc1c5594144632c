"""`python -m tools.colab` is idempotent: with the template unchanged it reports nothing
updated and leaves every source notebook byte for byte as it was; when a header is out of
date, the rewrite changes that header only (Jupyter's and nbgrader's JSON layout, keys in
their order).  Run on a scratch copy of the source notebooks."""

import json
import os
import shutil

import pytest

from notebooks import ROOT
from tools import colab
from tools.assignments import available

NAMES = [a.name for a in available(ROOT)]


@pytest.fixture
def course(tmp_path, monkeypatch):
    for req in ("requirements.txt", "requirements-nodeps.txt"):
        shutil.copy(os.path.join(ROOT, req), tmp_path)
    for name in NAMES:
        (tmp_path / "source" / name).mkdir(parents=True)
        shutil.copy(os.path.join(ROOT, "source", name, name + ".ipynb"), tmp_path / "source" / name)
    monkeypatch.setattr(colab, "ROOT", str(tmp_path))
    return tmp_path


def notebook_bytes(course, name):
    return (course / "source" / name / f"{name}.ipynb").read_bytes()


def test_unchanged_template_updates_nothing(course, capsys):
    before = {name: notebook_bytes(course, name) for name in NAMES}
    mtimes = {name: os.stat(course / "source" / name / f"{name}.ipynb").st_mtime_ns for name in NAMES}
    colab.main()
    out = capsys.readouterr().out
    assert not any(f"updated {n}" in out for n in NAMES)
    assert f"0 of {len(NAMES)} source notebooks updated" in out
    for name in NAMES:
        assert notebook_bytes(course, name) == before[name], name
        assert os.stat(course / "source" / name / f"{name}.ipynb").st_mtime_ns == mtimes[name]


def test_source_notebooks_are_in_the_layout_colab_writes():
    for name in NAMES:
        path = os.path.join(ROOT, "source", name, name + ".ipynb")
        with open(path, encoding="utf-8") as f:
            raw = f.read()
        assert colab.dumps(json.loads(raw)) == raw, name


@pytest.mark.parametrize("name", ["00_introduction", "05_synthesis"])
def test_an_outdated_header_is_rewritten_and_nothing_else(course, name, capsys):
    path = course / "source" / name / f"{name}.ipynb"
    original = path.read_bytes()
    nb = json.loads(original)
    code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    code["source"] = [line.replace("timeout=60", "timeout=5") for line in code["source"]]
    md = next(c for c in nb["cells"] if c["cell_type"] == "markdown")
    md["source"][0] = md["source"][0].replace("student-materials", "old-repo")
    path.write_text(colab.dumps(nb), encoding="utf-8")
    assert path.read_bytes() != original
    colab.main()
    assert f"updated {name}\n1 of {len(NAMES)} source notebooks updated" in capsys.readouterr().out
    assert path.read_bytes() == original       # back to the template, key order and all
    assert colab.apply(str(path), name) is False
