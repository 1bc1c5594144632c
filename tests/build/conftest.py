"""The build's executed solutions, once per test session: each solution notebook is executed
(on this machine, as every build executes it) the first time a test asks for it."""

import pytest

from tools.course import execute_solution


@pytest.fixture(scope="session")
def executed(tmp_path_factory):
    """``executed(name)`` -> path of the executed solution notebook of ``name`` (its HTML
    next to it).  ``MPLBACKEND=Agg`` is set while executing, as in an instructor's shell:
    it must not leak into the kernel (``test_solutions_render`` checks the figures)."""
    root = tmp_path_factory.mktemp("solutions")
    cache = {}

    def get(name):
        if name not in cache:
            with pytest.MonkeyPatch.context() as mp:
                mp.setenv("MPLBACKEND", "Agg")
                cache[name] = execute_solution(name, out_root=str(root))
        return cache[name]
    return get
