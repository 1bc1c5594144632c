"""Every ``python -m`` command that README.md and docs/*.md show (in code, inline or
fenced) names a module that exists and arguments it accepts: each runs as written,
``.venv/bin/`` prefix included, with ``--help`` appended in a scratch copy of the course.
argparse checks the documented positionals and typed options before it reaches
``--help`` (an unknown step, a non-integer ``--jobs`` fail), and every documented
``--option`` must be in the help it prints.  Commands with a dry run also run that way.

The complete runs are elsewhere: the build commands in ``make build`` and tests/build,
the grading commands in test_semester.py and test_manual_grading_commands.py (which
runs docs/MANUAL_GRADING.md's bash blocks as written)."""

import glob
import itertools
import os
import re
import sys

import pytest

from course_copy import make_course, run
from notebooks import ROOT

DOCS = [os.path.join(ROOT, "README.md"), *sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))]
COMMAND = re.compile(r"(?:\.venv/bin/)?python -m [\w.]+[^`\n]*")

# Not an instructor's command: the grading process itself, which the graders start with a
# job file they write (`python -m grading.runner JOB.json`, docs/ARCHITECTURE.md); every
# grading test runs it.
EXCEPTIONS = {"grading.runner": "started by the graders with the job file they write"}
# Documented placeholders of typed options, given a value of their type.
PLACEHOLDERS = {"K": "2"}
# Commands whose dry run writes nothing: run them that way too.
DRY_RUNS = {"tools.colab": "--check", "tools.workload": ""}


def code_spans(text):
    """The text of fenced code blocks and inline code spans."""
    fenced = re.findall(r"```[^\n]*\n(.*?)```", text, flags=re.S)
    rest = re.sub(r"```.*?```", "", text, flags=re.S)
    return fenced + re.findall(r"`([^`\n]+)`", rest)


def expand(command):
    """One command per alternative of ``{a,b,c}``; ``[--opt X]`` kept without brackets;
    placeholders of typed options filled; shell comments dropped."""
    command = re.sub(r"\s+#.*$", "", command.strip())
    command = command.replace("[", "").replace("]", "")
    parts = re.split(r"\{([^{}]*,[^{}]*)\}", command)
    choices = [p.split(",") if i % 2 else [p] for i, p in enumerate(parts)]
    out = []
    for combo in itertools.product(*choices):
        words = "".join(combo).split()
        out.append(" ".join(PLACEHOLDERS.get(w, w) for w in words))
    return out


def documented_commands():
    found = {}
    for path in DOCS:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for span in code_spans(text):
            for line in span.splitlines():
                for m in COMMAND.finditer(line):
                    for command in expand(m.group(0)):
                        found.setdefault(command, os.path.relpath(path, ROOT))
    return found


def module_of(command):
    return command.split("python -m ", 1)[1].split()[0]


COMMANDS = documented_commands()


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = make_course(str(tmp_path_factory.mktemp("docs") / "course"), ["00_introduction"])
    os.symlink(os.path.dirname(os.path.dirname(sys.executable)), os.path.join(course, ".venv"))
    return course


def test_the_docs_show_commands():
    modules = {module_of(c) for c in COMMANDS}
    assert {"tools.course", "grading.batch", "grading.nbgrader_import", "tools.colab"} <= modules
    assert ".venv/bin/python -m tools.course release --only NAME" in COMMANDS   # {data,...} expanded
    assert set(EXCEPTIONS) <= modules, "an exception no document shows any more"


@pytest.mark.parametrize("command", sorted(c for c in COMMANDS if module_of(c) not in EXCEPTIONS))
def test_documented_command_exists(command, course):
    proc = run(command + " --help", course, timeout=300, check=False)
    assert proc.returncode == 0 and "usage:" in proc.stdout, \
        f"{command!r} ({COMMANDS[command]}) does not run:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}"
    for option in re.findall(r"(?<!\S)--[\w-]+", command):
        assert option in proc.stdout, f"{command!r} ({COMMANDS[command]}): no {option} in its help"


@pytest.mark.parametrize("module", sorted(DRY_RUNS))
def test_dry_runs(module, course):
    assert any(module_of(c) == module for c in COMMANDS), f"the docs no longer show {module}"
    run(f".venv/bin/python -m {module} {DRY_RUNS[module]}", course, timeout=300)


def test_extraction():
    assert expand("python -m tools.course {data,release} [--only NAME]") == [
        "python -m tools.course data --only NAME", "python -m tools.course release --only NAME"]
    assert expand("python -m tools.mutate [--sample K]  # comment") == ["python -m tools.mutate --sample 2"]
    text = ("Run `.venv/bin/python -m grading.batch X --jobs 2` or\n```bash\npython -m tools.workload\n```\n"
            "<!-- written by python -m tools.benchmark -->")
    assert [m for s in code_spans(text) for m in COMMAND.findall(s)] == [
        "python -m tools.workload", ".venv/bin/python -m grading.batch X --jobs 2"]
