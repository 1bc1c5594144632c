"""The environment files agree, and the autograder installs a CPU-only torch."""

import os
import re

import yaml

from notebooks import ROOT
from tools.course import autograder_requirements


def _pins(lines):
    pins = {}
    for line in lines:
        line = line.split("#")[0].strip()
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s]+)$", line)
        if m:
            pins[m.group(1).lower()] = m.group(2)
    return pins


def _file_pins(name):
    with open(os.path.join(ROOT, name), encoding="utf-8") as f:
        return _pins(f)


def test_environment_yml_pins_match_requirements_txt():
    with open(os.path.join(ROOT, "environment.yml"), encoding="utf-8") as f:
        env = yaml.safe_load(f)
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert _pins(pip) == _file_pins("requirements.txt")


def test_environment_yml_gets_torch_from_the_cpu_index():
    with open(os.path.join(ROOT, "environment.yml"), encoding="utf-8") as f:
        text = f.read()
    assert "download.pytorch.org/whl/cpu" in text


def test_every_requirement_is_pinned():
    for name in ("requirements.txt", "requirements-nodeps.txt"):
        with open(os.path.join(ROOT, name), encoding="utf-8") as f:
            for line in f:
                line = line.split("#")[0].strip()
                assert not line or "==" in line, f"{name}: {line!r} is not pinned"


def test_autograder_installs_cpu_torch_and_the_course_pins():
    """The Gradescope image installs the course's pins (CPU torch), split into what pip
    resolves with dependencies and what it installs with --no-deps (tools/course.py), and
    leaves out only the instructor's tools."""
    from tools.course import NOT_FOR_GRADING, autograder_nodeps_requirements
    lines = autograder_requirements(ROOT).splitlines()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in lines
    pins = {**_pins(lines), **_pins(autograder_nodeps_requirements(ROOT).splitlines())}
    course = {**_file_pins("requirements.txt"), **_file_pins("requirements-nodeps.txt")}
    assert pins["torch"] == course["torch"] + "+cpu"
    for name, version in course.items():
        if name != "torch" and name not in NOT_FOR_GRADING:
            assert pins.get(name) == version, name
    assert not set(NOT_FOR_GRADING) & set(pins)


def test_installed_versions_are_the_pinned_ones():
    from importlib.metadata import version
    for name, pinned in {**_file_pins("requirements.txt"), **_file_pins("requirements-nodeps.txt")}.items():
        assert version(name).split("+")[0] == pinned.split("+")[0], name
