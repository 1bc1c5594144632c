"""The course's assignments: names, hidden-check modules and public files.

``public`` lists folders of ``source/<name>/`` that the notebook reads at run time
(the build generates them; nbgrader copies them to students, the autograder copies
them next to the submission).  ``preload`` lists the public packages the notebook
imports while graded: the grader imports them once and its sandboxed workers share
them (see ``grading/forkserver.py``).
"""

_PLOTS = ["numpy", "matplotlib.pyplot"]

ASSIGNMENTS = [
    {"name": "00_introduction", "hidden": "hidden.a00_introduction", "public": [],
     "preload": _PLOTS},
    {"name": "01_continuous_time_rnn", "hidden": "hidden.a01_continuous_time_rnn", "public": ["data"],
     "preload": _PLOTS + ["torch", "torchdiffeq"]},
    {"name": "02_balanced_rate_network", "hidden": "hidden.a02_balanced_rate_network", "public": ["data"],
     "preload": _PLOTS + ["torch"]},
    {"name": "03_balanced_spiking_network", "hidden": "hidden.a03_balanced_spiking_network", "public": ["data"],
     "preload": _PLOTS + ["torch", "norse.torch"]},
    {"name": "04_dynamical_analysis", "hidden": "hidden.a04_dynamical_analysis", "public": ["data", "checkpoints"],
     "preload": _PLOTS + ["torch", "scipy.ndimage"]},
    {"name": "05_synthesis", "hidden": "hidden.a05_synthesis", "public": ["data", "checkpoints"],
     "preload": _PLOTS + ["torch", "pandas"]},
]

NEEDS_TASK_DATA = [a["name"] for a in ASSIGNMENTS if "data" in a["public"]]


def by_name(name):
    for a in ASSIGNMENTS:
        if a["name"] == name:
            return a
    raise KeyError(f"unknown assignment {name!r}")


def available(root="."):
    """Assignments whose source notebook exists (the course grows one at a time)."""
    import os
    return [a for a in ASSIGNMENTS
            if os.path.exists(os.path.join(root, "source", a["name"], a["name"] + ".ipynb"))]
