"""A Gradescope export is read however the instructor hands it over: the downloaded
`.zip`, the folder unzip makes (`submission_metadata.yml` one folder down) or that inner
folder; and an export holding nothing to grade is an error (exit status 2, a message
saying what was expected, nothing written), never an empty gradebook.  Grading itself
is stubbed (tests/e2e runs the real autograder), except in the one slow test."""

import csv
import os
import shutil
import zipfile

import pytest

from grading import batch, nbgrader_import
from notebooks import ROOT, source_path
from tools.assignments import by_name
from test_batch_layouts import GRADESCOPE_YML, gradescope_export

NAME = "00_introduction"
EXPORT_DIR = "assignment_123_export"   # the folder Gradescope's zip unpacks to


def zip_folder(folder, zip_path, arcroot=""):
    with zipfile.ZipFile(zip_path, "w") as z:
        for dirpath, dirs, files in os.walk(folder):
            for f in files:
                full = os.path.join(dirpath, f)
                z.write(full, os.path.join(arcroot, os.path.relpath(full, folder)))
            if not files and not dirs:   # empty submission folders are part of the layout
                z.write(dirpath, os.path.join(arcroot, os.path.relpath(dirpath, folder)) + "/")
    return zip_path


@pytest.fixture
def layouts(tmp_path):
    """The same three-submission export in each layout an instructor may hand over."""
    inner = gradescope_export(tmp_path / "unzipped" / EXPORT_DIR)
    return {
        "folder with the metadata": str(inner),
        "folder unzip makes": str(tmp_path / "unzipped"),
        "zip as downloaded": str(zip_folder(inner, tmp_path / "submissions.zip", EXPORT_DIR)),
        "zip with the metadata at the top": str(zip_folder(inner, tmp_path / "flat.zip")),
    }


@pytest.fixture
def autograder_zip(tmp_path):
    path = tmp_path / f"{NAME}.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("tests/lorenz_rhs.py", "")
    return str(path)


@pytest.fixture
def fake_grading(monkeypatch):
    graded = []

    def grade_one(zip_path, nb, timeout):
        assert os.path.exists(nb)   # the extracted notebook is there while grading runs
        graded.append(os.path.basename(nb))
        return {"error": None, "tests": [{"name": "lorenz_rhs", "score": 2, "max_score": 2}]}

    monkeypatch.setattr(batch, "grade_one", grade_one)
    return graded


LAYOUTS = ["folder with the metadata", "folder unzip makes", "zip as downloaded",
           "zip with the metadata at the top"]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_batch_reads_every_layout(layout, layouts, autograder_zip, fake_grading, tmp_path):
    out = tmp_path / "grades"
    assert batch.main([layouts[layout], "--autograder", autograder_zip, "--out", str(out)]) == 0
    assert sorted(fake_grading) == ["00_introduction.ipynb", "my_copy.ipynb"]
    with open(out / "gradebook.csv", newline="") as f:
        rows = {r["submission"]: r for r in csv.DictReader(f)}
    assert set(rows) == {"submission_111", "submission_222", "submission_333"}
    assert rows["submission_111"]["student"] == "Ada Lovelace" and rows["submission_111"]["total"] == "2"
    assert rows["submission_333"]["error"]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_nbgrader_import_reads_every_layout(layout, layouts, tmp_path, capsys):
    course = tmp_path / "course"
    assert nbgrader_import.main([layouts[layout], NAME, "--course", str(course)]) == 0
    submitted = sorted(os.listdir(course / "submitted"))
    assert submitted == ["ada@example.edu", "bob@example.edu"]
    assert (course / "submitted" / "bob@example.edu" / NAME / f"{NAME}.ipynb").exists()
    assert "imported 2 of 3 submissions" in capsys.readouterr().out


def _nothing_to_grade(tmp_path):
    """Inputs that hold no gradable submission, each with a word its message must hold."""
    empty = tmp_path / "empty"
    empty.mkdir()
    unrelated = tmp_path / "unrelated"
    (unrelated / "some_folder").mkdir(parents=True)
    (unrelated / "some_folder" / "notes.txt").write_text("no notebook")
    no_notebooks = tmp_path / "no_notebooks" / EXPORT_DIR
    no_notebooks.mkdir(parents=True)
    (no_notebooks / "submission_metadata.yml").write_text(GRADESCOPE_YML)
    (no_notebooks / "submission_111").mkdir()
    (no_notebooks / "submission_111" / "answers.pdf").write_text("a PDF")
    two = tmp_path / "two_exports"
    gradescope_export(two / "assignment_1_export")
    gradescope_export(two / "assignment_2_export")
    not_zip = tmp_path / "export.zip"
    not_zip.write_text("not a zip")
    empty_zip = tmp_path / "empty.zip"
    zipfile.ZipFile(empty_zip, "w").close()
    return {
        "an empty folder": (empty, "no submission found"),
        "a folder without an export": (unrelated, "submission_metadata.yml"),
        "an export without notebooks": (tmp_path / "no_notebooks", "not one notebook"),
        "two exports": (two, "several Gradescope exports"),
        "a missing path": (tmp_path / "missing", "no such file or folder"),
        "a file that is not a zip": (not_zip, "neither a folder nor a zip"),
        "an empty zip": (empty_zip, "no submission found"),
    }


CASES = ["an empty folder", "a folder without an export", "an export without notebooks",
         "two exports", "a missing path", "a file that is not a zip", "an empty zip"]


@pytest.mark.parametrize("case", CASES)
def test_nothing_to_grade_is_an_error(case, tmp_path, autograder_zip, fake_grading, capsys):
    path, words = _nothing_to_grade(tmp_path)[case]
    out = tmp_path / "grades"
    assert batch.main([str(path), "--autograder", autograder_zip, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and words in err
    assert not out.exists() and fake_grading == []
    course = tmp_path / "course"
    assert nbgrader_import.main([str(path), NAME, "--course", str(course)]) == 2
    assert words in capsys.readouterr().err
    assert not (course / "submitted").exists()


def test_extracted_zip_is_removed(layouts, autograder_zip, fake_grading, tmp_path, monkeypatch):
    made = []
    real = batch.tempfile.mkdtemp
    monkeypatch.setattr(batch.tempfile, "mkdtemp", lambda **kw: made.append(real(**kw)) or made[-1])
    assert batch.main([layouts["zip as downloaded"], "--autograder", autograder_zip,
                       "--out", str(tmp_path / "grades")]) == 0
    assert len(made) == 1 and not os.path.exists(made[0])
    assert not made[0].startswith(ROOT)   # student work is never unpacked into the course


@pytest.mark.slow
def test_grading_one_submission_from_a_downloaded_zip(tmp_path):
    """The real autograder (built here), on an export zip as Gradescope hands it out,
    one submission: the source notebook, whose solutions earn full marks."""
    from tools.course import build_autograder
    zip_ag = build_autograder(NAME, out_dir=str(tmp_path / "autograder"),
                              stage_root=str(tmp_path / "stage"))
    inner = tmp_path / EXPORT_DIR
    (inner / "submission_111").mkdir(parents=True)
    (inner / "submission_metadata.yml").write_text(GRADESCOPE_YML.split("submission_222")[0])
    shutil.copy(source_path(NAME), inner / "submission_111" / f"{NAME}.ipynb")
    export = zip_folder(inner, tmp_path / "submissions.zip", EXPORT_DIR)
    out = tmp_path / "grades"
    assert batch.main([str(export), "--autograder", zip_ag, "--out", str(out), "--jobs", "1"]) == 0
    with open(out / "gradebook.csv", newline="") as f:
        (row,) = list(csv.DictReader(f))
    full = sum(by_name(NAME).points().values())
    assert row["student"] == "Ada Lovelace" and float(row["total"]) == full and not row["error"], row
