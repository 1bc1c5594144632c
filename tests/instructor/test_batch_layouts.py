"""grading.batch reads the real export layouts: a Gradescope export (one top-level
submission_metadata.yml naming each submission's submitters) and nbgrader's submitted/
(only the notebook of the assignment being graded)."""

import csv
import zipfile

from grading import batch

GRADESCOPE_YML = """\
submission_111:
  :submitters:
  - :name: Ada Lovelace
    :sid: '1815'
    :email: ada@example.edu
  :created_at: 2026-01-10 10:00:00.000000000 -08:00
  :score: 0.0
submission_222:
  :submitters:
  - :name: Bob Builder
    :sid: '42'
    :email: bob@example.edu
  - :name: Carla Partner
    :sid: '43'
    :email: carla@example.edu
  :created_at: 2026-01-10 11:00:00.000000000 -08:00
submission_333:
  :submitters:
  - :name: Dan Empty
    :sid: '7'
    :email: dan@example.edu
"""


def notebook(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    return path


def gradescope_export(root):
    (root / "submission_metadata.yml").parent.mkdir(parents=True, exist_ok=True)
    (root / "submission_metadata.yml").write_text(GRADESCOPE_YML)
    notebook(root / "submission_111" / "00_introduction.ipynb")
    notebook(root / "submission_222" / "my_copy.ipynb")
    (root / "submission_333").mkdir()
    return root


def test_gradescope_export_names_students(tmp_path):
    subs = batch.find_submissions(str(gradescope_export(tmp_path / "export")), "00_introduction")
    by_sub = {s["submission"]: s for s in subs}
    assert set(by_sub) == {"submission_111", "submission_222", "submission_333"}
    ada = by_sub["submission_111"]
    assert (ada["student"], ada["email"], ada["sid"]) == ("Ada Lovelace", "ada@example.edu", "1815")
    assert ada["notebook"].endswith("submission_111/00_introduction.ipynb")
    group = by_sub["submission_222"]
    assert group["student"] == "Bob Builder; Carla Partner" and group["sid"] == "42; 43"
    assert group["notebook"].endswith("my_copy.ipynb")
    assert by_sub["submission_333"]["notebook"] is None and by_sub["submission_333"]["error"]


def test_nbgrader_submitted_reads_only_the_assignment(tmp_path):
    root = tmp_path / "submitted"
    notebook(root / "alice" / "00_introduction" / "00_introduction.ipynb")
    notebook(root / "alice" / "05_synthesis" / "05_synthesis.ipynb")
    notebook(root / "bob" / "00_introduction" / "00_introduction.ipynb")
    notebook(root / "bob" / "00_introduction" / "scratch.ipynb")
    notebook(root / "carol" / "05_synthesis" / "05_synthesis.ipynb")
    (root / "dave" / "00_introduction").mkdir(parents=True)
    subs = batch.find_submissions(str(root), "00_introduction")
    assert [s["student"] for s in subs] == ["alice", "bob", "dave"]
    assert all(s["notebook"] is None or s["notebook"].endswith(
        "00_introduction/00_introduction.ipynb") for s in subs)
    assert subs[2]["notebook"] is None and "00_introduction.ipynb" in subs[2]["error"]
    subs = batch.find_submissions(str(root), "05_synthesis")
    assert [s["student"] for s in subs] == ["alice", "carol"]


def test_folder_of_notebooks(tmp_path):
    notebook(tmp_path / "erin.ipynb")
    notebook(tmp_path / "frank.ipynb")
    assert [s["student"] for s in batch.find_submissions(str(tmp_path), "00_introduction")] == [
        "erin", "frank"]


def test_gradebook_rows_from_an_export(tmp_path, monkeypatch):
    """The CSV names each student by name, email and SID (grading itself is stubbed here;
    tests/e2e runs the real autograder)."""
    export = gradescope_export(tmp_path / "export")
    zip_path = tmp_path / "00_introduction.zip"
    with zipfile.ZipFile(zip_path, "w") as z:
        z.writestr("tests/lorenz_rhs.py", "")
        z.writestr("tests/hopf_rho.py", "")

    def fake_grade(zip_path, nb, timeout):
        full = "00_introduction.ipynb" in nb
        return {"error": None, "tests": [
            {"name": "lorenz_rhs", "score": 2 if full else 0, "max_score": 2,
             "output": "" if full else ("lorenz_rhs results:\n    lorenz_rhs - 1 result:\n"
                                        "        lorenz_rhs on a batch: values differ")},
            {"name": "hopf_rho", "score": 1, "max_score": 1}]}

    monkeypatch.setattr(batch, "grade_one", fake_grade)
    out = tmp_path / "grades"
    assert batch.main([str(export), "--autograder", str(zip_path), "--out", str(out)]) == 0
    with open(out / "gradebook.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0])[:4] == ["student", "email", "sid", "submission"]
    by = {r["submission"]: r for r in rows}
    assert by["submission_111"]["student"] == "Ada Lovelace" and by["submission_111"]["total"] == "3"
    assert by["submission_222"]["total"] == "1" and by["submission_222"]["email"] == "bob@example.edu; carla@example.edu"
    assert by["submission_333"]["total"] == "0" and by["submission_333"]["error"]
    text = (out / "feedback" / "Bob_Builder_Carla_Partner.txt").read_text()
    assert "lorenz_rhs: 0/2" in text and "values differ" in text
