"""``nbgrader autograde`` gives each question the sandboxed grader's score (the score the
Otter autograder gives on Gradescope), never runs student code in its own process, and
``nbgrader validate`` fails an untouched release.

The real commands run in a scratch copy of the course: ``generate_assignment``,
``autograde`` and ``export`` on three submissions per assignment (the solution, the
untouched release, a one-bug notebook).  00 and 05 run in every test run; every
assignment runs in the slow suite, compared with ``otter run`` on the real zip."""

import csv
import os

import nbformat
import pytest

from course_copy import make_course, run, submit
from notebooks import grade, read, source_path, variant
from tools.assignments import available, by_name

from notebooks import ROOT

NAMES = [a["name"] for a in available(ROOT)]
SAMPLE = ["00_introduction", "05_synthesis"]
WRITTEN = "This is my written answer."

# One plausible bug per sampled assignment: (exercise cell, its buggy code, the question it costs).
BUGS = {
    "00_introduction": ("lorenz_fixed_points",
                        "def lorenz_fixed_points(sigma=10.0, rho=28.0, beta=8/3):\n"
                        "    c = np.sqrt(beta * (rho - 1))\n"
                        "    return np.array([[0.0, 0.0, 0.0], [c, c, rho - 1], [-c, -c, rho - 1]])\n"),
    "05_synthesis": ("comparison_table",
                     'COLUMNS = ["one_step_error", "valid_prediction_time", "max_lyapunov",\n'
                     '           "state_space_divergence", "n_params", "train_seconds", "sign_consistency"]\n\n'
                     "def comparison_table(results):\n"
                     "    rows = [[float(m.get(c, np.nan)) for c in COLUMNS] for m in results.values()]\n"
                     "    return pd.DataFrame(rows, index=list(results), columns=COLUMNS)\n"),
}


def one_bug(name, folder, trap):
    """The solution with one mistake; in the slow suite for assignments without a listed
    bug, the last exercise is left as released (a stub).  ``trap`` is a path that only
    code running outside the sandbox could create."""
    os.makedirs(folder, exist_ok=True)
    trap_cell = f"open({trap!r}, 'w').write('student code ran outside the sandbox')"
    if name in BUGS:
        gid, code = BUGS[name]
        return variant(name, folder, replace={gid: code}, append=[trap_cell]), gid
    release = read(os.path.join(ROOT, "release", name, name + ".ipynb"))
    stubs = {c.metadata["nbgrader"]["grade_id"]: c.source for c in release.cells
             if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")}
    gid = list(stubs)[-1]
    return variant(name, folder, replace={gid: stubs[gid]}, append=[trap_cell]), gid


def answer_written(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "").startswith("written_"):
            cell.source = WRITTEN
    nbformat.write(nb, path)


def nbgrader_scores(course, name, student):
    """{question: score} of the check cells, and {grade_id: Grade} of every graded cell."""
    from nbgrader.api import Gradebook
    with Gradebook("sqlite:///" + os.path.join(course, "gradebook.db")) as gb:
        sub = gb.find_submission_notebook(name, name, student)
        cells = {g.name: (g.score, g.max_score, g.needs_manual_grade) for g in sub.grades}
    checks = {gid[:-len("_check")]: s for gid, (s, _, _) in cells.items() if gid.endswith("_check")}
    return checks, cells


def graded_course(tmp_path, name):
    """A course copy with three submissions of ``name`` autograded and exported."""
    course = make_course(str(tmp_path / "course"), [name])
    run(f"nbgrader generate_assignment {name}", course)
    trap = str(tmp_path / "course" / "TRAPPED")
    bug, bug_gid = one_bug(name, str(tmp_path / "bug"), trap)
    notebooks = {"solution": source_path(name),
                 "release": os.path.join(course, "release", name, name + ".ipynb"),
                 "bug": bug}
    if name == "05_synthesis":
        answer_written(bug)
    for student, path in notebooks.items():
        submit(course, student, name, path)
    run(f"nbgrader autograde {name}", course)
    run("nbgrader export", course)
    assert not os.path.exists(trap), "student code ran in nbgrader's own process"
    return course, notebooks, bug_gid


def check_against(expected_of, name, course, notebooks, bug_gid):
    with open(os.path.join(course, "grades.csv"), newline="") as f:
        totals = {r["student_id"]: float(r["score"]) for r in csv.DictReader(f)}
    for student, path in notebooks.items():
        got, cells = nbgrader_scores(course, name, student)
        expected = expected_of(path)
        assert got == pytest.approx(expected), (student, got, expected)
        written = {gid: c for gid, c in cells.items() if gid.startswith("written_")}
        assert totals[student] == pytest.approx(sum(got.values()) + sum(
            (c[0] or 0) for c in written.values()))
        max_total = sum(c[1] for c in cells.values())
        if student == "solution":
            assert sum(got.values()) == sum(c[1] for g, c in cells.items() if g.endswith("_check")) > 0
        if student == "release":
            assert sum(got.values()) == 0 < max_total
        if student == "bug":
            assert got[bug_gid] == 0 and (len(got) == 1 or sum(got.values()) > 0)
    return cells


@pytest.mark.parametrize("name", SAMPLE)
def test_nbgrader_autograde_matches_the_sandboxed_grader(tmp_path, name):
    course, notebooks, bug_gid = graded_course(tmp_path, name)
    graded = by_name(name).grade_extensions   # nbgrader grades what the manifest grades
    cells = check_against(lambda p: grade(name, p, extensions=graded)[0], name, course,
                          notebooks, bug_gid)
    if name == "05_synthesis":  # the written answers wait for the formgrader
        _, cells = nbgrader_scores(course, name, "bug")
        written = {g: c for g, c in cells.items() if g.startswith("written_")}
        assert len(written) == 3 and all(c[1] == 4 and c[2] for c in written.values())
        _, cells = nbgrader_scores(course, name, "release")
        assert all(c[0] == 0 for g, c in cells.items() if g.startswith("written_"))
    # what the formgrader shows: the verdict in the check cell, the message of a failure
    nb = nbformat.read(os.path.join(course, "autograded", "bug", name, name + ".ipynb"), as_version=4)
    check = next(c for c in nb.cells
                 if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == bug_gid + "_check")
    assert [o.output_type for o in check.outputs] == ["error"] and check.outputs[0].evalue


def test_validate_fails_an_untouched_release_and_passes_a_solution(tmp_path):
    name = "00_introduction"
    course = make_course(str(tmp_path / "course"), [name])
    run(f"nbgrader generate_assignment {name}", course)
    out = run(f"nbgrader validate release/{name}/{name}.ipynb", course, check=False)
    text = out.stdout + out.stderr
    assert "VALIDATION FAILED" in text and "Success!" not in text
    assert "the public checks of lorenz_rhs failed" in text
    folder = os.path.join(course, "mine")
    os.makedirs(folder)
    import shutil
    shutil.copytree(os.path.join(course, "release", name, "tests"), os.path.join(folder, "tests"))
    shutil.copy(source_path(name), os.path.join(folder, name + ".ipynb"))
    out = run(f"nbgrader validate mine/{name}.ipynb", course, check=False)
    assert "Success! Your notebook passes all the tests." in out.stdout + out.stderr


def test_config_loads_without_errors(tmp_path):
    """traitlets ignores a configuration file that raises: nbgrader would then grade with
    its own kernel, silently.  The file must load and name the sandboxed grader."""
    from traitlets.config.loader import PyFileConfigLoader
    config = PyFileConfigLoader("nbgrader_config.py", path=ROOT).load_config()
    chain = [getattr(p, "__name__", p) for p in config.Autograde.autograde_preprocessors]
    assert "grading.nbgrader_autograde.SandboxedGrading" in chain and "Execute" not in chain
    from grading.nbgrader_autograde import SandboxedGrading  # noqa: F401 - importable
    assert config.CourseDirectory.db_url == "sqlite:///" + os.path.join(ROOT, "gradebook.db")
    assert "/build/" not in config.CourseDirectory.db_url


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_nbgrader_autograde_matches_otter_for_every_assignment(tmp_path, name):
    from tools.course import build_autograder, otter_grade
    course, notebooks, bug_gid = graded_course(tmp_path, name)
    zip_path = build_autograder(name, out_dir=str(tmp_path / "zip"),
                                stage_root=str(tmp_path / "stage"))

    def otter_scores(path):
        out = tmp_path / "otter" / os.path.basename(os.path.dirname(path))
        out.mkdir(parents=True, exist_ok=True)
        _, _, _, results = otter_grade(zip_path, path, out_dir=str(out))
        return {t["name"]: t["score"] for t in results["tests"] if t["name"] != "Public Tests"}

    check_against(otter_scores, name, course, notebooks, bug_gid)
