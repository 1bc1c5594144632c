"""``python -m tools.course new NN_name`` makes an assignment that builds, grades (solution
at full marks, release at zero) and that the manifest-driven tests pick up: done in a
scratch copy of the course, deleted afterwards."""

import os
import re
import shutil

import pytest

from course_copy import make_course, run
from notebooks import ROOT

NAME = "06_scratch_topic"


@pytest.mark.slow
def test_new_assignment_builds_grades_and_is_tested(tmp_path):
    course = make_course(str(tmp_path / "course"))
    try:
        run(f"python -m tools.course new {NAME}", course)
        with pytest.raises(AssertionError, match="already has an assignment numbered 06"):
            run(f"python -m tools.course new {NAME}", course)   # never twice
        build = run(f"python -m tools.course build --only {NAME}", course).stdout
        assert re.search(rf"^{NAME}\s+solution\s+1\s+1\s", build, re.M), build[-2000:]
        assert re.search(rf"^{NAME}\s+release\s+0\s+1\s", build, re.M), build[-2000:]
        for path in (f"autograder/{NAME}.zip", f"release/{NAME}/{NAME}.ipynb",
                     f"release/{NAME}/tests/scratch_topic_rhs.py", f"bundles/{NAME}.zip",
                     f"solutions/{NAME}/{NAME}.html"):
            assert os.path.exists(os.path.join(course, path)), path
        shutil.copytree(os.path.join(ROOT, "tests"), os.path.join(course, "tests"),
                        ignore=shutil.ignore_patterns("__pycache__"))
        tests = run("python -m pytest -q -p no:cacheprovider tests/build/test_manifest.py "
                    "tests/build/test_points_agree.py tests/leaks "
                    "tests/grading/test_solutions_agree_with_lib.py "
                    f"-k '{NAME} or files_agree or questions_and_limits'", course).stdout
        assert re.search(r"\b(\d+) passed", tests) and " failed" not in tests, tests[-2000:]
        assert int(re.search(r"\b(\d+) passed", tests).group(1)) >= 8, tests[-2000:]
    finally:
        shutil.rmtree(course, ignore_errors=True)
    with open(os.path.join(ROOT, "tools", "assignments.py"), encoding="utf-8") as f:
        assert NAME not in f.read()   # the real course is untouched
