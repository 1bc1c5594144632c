"""The notebooks' set-up cell and Colab badge, written from one place.

    python -m tools.colab            # rewrite the header of every source notebook

Every source notebook starts with a markdown cell holding the Colab badge and a code
cell whose first lines are :func:`setup_code`: on Colab (or wherever a course package
or the public files are missing) it installs the missing pinned packages and fetches
the assignment's student bundle; where the course environment and files are present
it does nothing.  Students' bundles and releases are published to the public
repository ``PUBLIC_REPO`` (reference code and hidden tests never go there).
"""

import os
import re
import sys

import nbformat

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

PUBLIC_REPO = "rnn-dynamics-course/student-materials"  # instructors: your public repo
SETUP_BEGIN = "# --- course setup (do not edit) ---"
SETUP_END = "# --- end of course setup ---"

# module -> the distributions that provide it (pinned from requirements*.txt, installed
# only when the module is missing); norse goes without its declared dependencies
# (torchvision would pull a CUDA torch) but with h5py, which its nir import needs.
DISTRIBUTIONS = {
    "otter": ["otter-grader"],
    "numpy": ["numpy"],
    "matplotlib": ["matplotlib"],
    "scipy": ["scipy"],
    "pandas": ["pandas"],
    "torch": ["torch"],
    "torchdiffeq": ["torchdiffeq"],
    "tqdm": ["tqdm"],
    "norse": ["--no-deps", "norse", "nir", "nirtorch", "h5py"],
}


def _pins():
    pins = {}
    for req in ("requirements.txt", "requirements-nodeps.txt"):
        with open(os.path.join(ROOT, req), encoding="utf-8") as f:
            for line in f:
                line = line.split("#")[0].strip()
                if "==" in line:
                    pins[line.split("==")[0].strip().lower()] = line
    return pins


def packages_for(modules):
    """``{module: pip arguments}`` for the course packages among ``modules`` (and otter,
    which every notebook's checks need), in a fixed order."""
    pins = _pins()
    wanted = set(modules) | {"otter"}
    return {m: [d if d.startswith("-") else pins[d] for d in dists]
            for m, dists in DISTRIBUTIONS.items() if m in wanted}


def imported_modules(nb):
    """Top-level modules the notebook's code cells import (outside the set-up block)."""
    found = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        body = cell.source.split(SETUP_END, 1)[-1]
        found |= set(re.findall(r"^\s*(?:import|from)\s+([A-Za-z_]\w*)", body, re.M))
    return found


def badge(name):
    url = f"https://colab.research.google.com/github/{PUBLIC_REPO}/blob/main/{name}/{name}.ipynb"
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})"


def setup_code(name, packages):
    return f'''{SETUP_BEGIN}
# On Colab (or wherever a course package or this assignment's public files are
# missing) this installs what is missing and fetches the public files (public checks,
# data); with the course environment it does nothing.
import importlib.util, io, os, subprocess, sys, urllib.request, zipfile
ASSIGNMENT = "{name}"
PACKAGES = {packages!r}
_missing = [m for m in PACKAGES if m not in sys.modules and importlib.util.find_spec(m) is None]
for _m in _missing:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", *PACKAGES[_m]], check=True)
if not os.path.isdir("tests"):
    _url = "https://github.com/{PUBLIC_REPO}/raw/main/bundles/" + ASSIGNMENT + ".zip"
    try:
        with zipfile.ZipFile(io.BytesIO(urllib.request.urlopen(_url, timeout=60).read())) as _z:
            _z.extractall(".", [f for f in _z.namelist() if not f.endswith(".ipynb")])
    except OSError as _e:
        print("course setup: could not fetch the public files:", _e)
print("course setup:", ("installed " + ", ".join(_missing)) if _missing else "nothing to install",
      "| public files:", "present" if os.path.isdir("tests") else "missing")
{SETUP_END}'''


def apply(path, name):
    """Put the badge and the set-up block at the top of a source notebook (idempotent)."""
    nb = nbformat.read(path, as_version=4)
    first_md = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    if first_md is not None and "colab-badge.svg" not in first_md.source:
        first_md.source = badge(name) + "\n\n" + first_md.source
    elif first_md is not None:
        first_md.source = re.sub(r"\[!\[Open In Colab\].*?\)\]\(.*?\)", badge(name), first_md.source)
    code = next(c for c in nb.cells if c.cell_type == "code")
    body = code.source
    if SETUP_BEGIN in body:
        body = body.split(SETUP_END, 1)[1].lstrip("\n")
    code.source = setup_code(name, packages_for(imported_modules(nb))) + "\n\n" + body
    nbformat.write(nb, path)


def main():
    from tools.assignments import available
    for a in available(ROOT):
        apply(a.notebook(ROOT), a.name)
        print("updated", a.name)


if __name__ == "__main__":
    main()
