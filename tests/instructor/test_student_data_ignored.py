"""Student data stays out of the course repository: every path a documented grading
command writes (README "Grading locally", docs/MANUAL_GRADING.md) is ignored by git, and
the grading commands, run with their defaults in a scratch repository holding the
course's .gitignore, leave `git status` clean."""

import os
import shutil
import subprocess
import zipfile

import pytest

from grading import batch, nbgrader_import
from notebooks import ROOT
from test_batch_layouts import gradescope_export

# What each documented command writes (relative to the course folder).
STUDENT_DATA = [
    "results.json",                                 # otter run -a ZIP nb.ipynb (no -o)
    "grades/00_introduction/gradebook.csv",         # grading.batch (default --out)
    "grades/00/feedback/Ada_Lovelace.txt",          # grading.batch --out grades/00 (README)
    "submitted/ada@example.edu/05_synthesis/05_synthesis.ipynb",  # grading.nbgrader_import
    "autograded/ada/05_synthesis/05_synthesis.ipynb",             # nbgrader autograde
    "feedback/ada/05_synthesis/05_synthesis.html",                # nbgrader generate_feedback
    "grades.csv",                                   # nbgrader export
    "gradebook.db",                                 # nbgrader's gradebook
    "gradebook.db-journal",
    "exports/submissions.zip",                      # where the docs keep exports
    "exports/assignment_123_export/submission_metadata.yml",
    "assignment_123_export/submission_111/00_introduction.ipynb",
    "source/05_synthesis/.ipynb_checkpoints/05_synthesis-checkpoint.ipynb",  # Jupyter
    "release/05_synthesis/.OTTER_LOG",              # nbgrader validate
]


def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)


@pytest.mark.parametrize("path", STUDENT_DATA)
def test_git_ignores_student_data(path):
    proc = git("check-ignore", "-q", "--no-index", path, cwd=ROOT)
    assert proc.returncode == 0, f"{path} is not ignored by .gitignore"


@pytest.fixture
def scratch_repo(tmp_path):
    """An empty git repository with the course's .gitignore committed."""
    repo = tmp_path / "course"
    repo.mkdir()
    shutil.copy(os.path.join(ROOT, ".gitignore"), repo / ".gitignore")
    for cmd in (["init", "-q"], ["add", ".gitignore"],
                ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "init"]):
        assert git(*cmd, cwd=repo).returncode == 0
    return repo


def test_grading_commands_leave_git_status_clean(scratch_repo, monkeypatch, capsys):
    """grading.batch (default --out) and grading.nbgrader_import, on an export kept in
    exports/ (grading itself is stubbed: tests/e2e runs the real autograder)."""
    export = gradescope_export(scratch_repo / "exports" / "assignment_123_export")
    zip_path = scratch_repo / "exports" / "00_introduction.zip"
    with zipfile.ZipFile(zip_path, "w") as z:
        z.writestr("tests/lorenz_rhs.py", "")
    monkeypatch.setattr(batch, "grade_one", lambda *a: {"error": None, "tests": [
        {"name": "lorenz_rhs", "score": 2, "max_score": 2}]})
    monkeypatch.chdir(scratch_repo)
    assert batch.main([str(export), "--autograder", str(zip_path)]) == 0
    assert (scratch_repo / "grades" / "00_introduction" / "gradebook.csv").exists()
    assert nbgrader_import.main([str(export), "00_introduction"]) == 0
    assert (scratch_repo / "submitted" / "ada@example.edu").is_dir()
    (scratch_repo / "results.json").write_text("{}")  # what `otter run` leaves here
    assert "warning" not in capsys.readouterr().err
    assert git("status", "--porcelain", "--untracked-files=all", cwd=scratch_repo).stdout == ""


def test_batch_warns_about_an_out_folder_git_would_track(scratch_repo, monkeypatch, capsys):
    export = gradescope_export(scratch_repo / "exports" / "e")
    zip_path = scratch_repo / "exports" / "00_introduction.zip"
    with zipfile.ZipFile(zip_path, "w") as z:
        z.writestr("tests/lorenz_rhs.py", "")
    monkeypatch.setattr(batch, "grade_one", lambda *a: {"error": None, "tests": []})
    monkeypatch.chdir(scratch_repo)
    assert batch.main([str(export), "--autograder", str(zip_path), "--out", "marks"]) == 0
    assert "marks is inside a git repository and not ignored" in capsys.readouterr().err
