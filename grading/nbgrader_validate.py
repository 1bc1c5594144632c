"""Kernel start-up file for ``nbgrader validate``: a failing public check raises.

``grader.check("q")`` returns Otter's result instead of raising, so nbgrader's
validator, which looks for error outputs in the check cells, calls a notebook whose
checks all fail a success.  ``nbgrader_config.py`` runs this file in the validating
kernel (``Execute.extra_arguments``: ``--IPKernelApp.exec_files``), where it wraps
``otter.Notebook.check``: when ``NBGRADER_EXECUTION`` is ``validate`` and a public
check does not pass, the check cell raises ``AssertionError`` with Otter's summary.
Only public checks run here (the hidden ones decide the grade).
"""


def _rnncourse_strict_checks():
    import functools
    import os
    import sys

    try:
        import otter
    except ImportError:
        return
    original = otter.Notebook.check
    if getattr(original, "_strict", False):
        return

    @functools.wraps(original)
    def check(self, question, global_env=None):
        if global_env is None:  # Otter reads its caller's globals: pass them explicitly
            global_env = sys._getframe(1).f_globals
        result = original(self, question, global_env)
        if os.environ.get("NBGRADER_EXECUTION") == "validate":
            if result is None:
                raise AssertionError(f"the public checks of {question} could not run")
            if not result.passed_all:
                raise AssertionError(f"the public checks of {question} failed:\n{result!r}")
        return result

    check._strict = True
    otter.Notebook.check = check


_rnncourse_strict_checks()
del _rnncourse_strict_checks
