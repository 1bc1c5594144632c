"""The notebooks' set-up cell and Colab badge, written from one place.

    .venv/bin/python -m tools.colab          # rewrite the header of every source notebook
    .venv/bin/python -m tools.colab --check  # only list those it would rewrite (exit 1 if any)

Idempotent: a notebook whose header already matches the template is not touched, and
one that changes is written with the formatting Jupyter and nbgrader use (one-space
indent, non-ASCII kept, keys in their order), so that the only diff is the header.

Every source notebook starts with a markdown cell holding the Colab badge and a code
cell whose first lines are :func:`setup_code`: on Colab (or wherever a course package
or the public files are missing) it installs the missing pinned packages and fetches
the assignment's student bundle; where the course environment and files are present
it does nothing.  Students' bundles and releases are published to the public
repository ``PUBLIC_REPO`` (reference code and hidden tests never go there).
"""

import json
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


def _text(source):
    return "".join(source) if isinstance(source, list) else source


def header(nb, name):
    """``(badge cell source, set-up cell source)`` that the template gives a notebook
    (``nb``: an nbformat notebook); the badge cell's is None when it has no markdown cell."""
    first_md = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    md = None
    if first_md is not None and "colab-badge.svg" not in first_md.source:
        md = badge(name) + "\n\n" + first_md.source
    elif first_md is not None:
        md = re.sub(r"\[!\[Open In Colab\].*?\)\]\(.*?\)", lambda _: badge(name), first_md.source)
    body = next(c for c in nb.cells if c.cell_type == "code").source
    if SETUP_BEGIN in body:
        body = body.split(SETUP_END, 1)[1].lstrip("\n")
    return md, setup_code(name, packages_for(imported_modules(nb))) + "\n\n" + body


def dumps(nb_json):
    """A notebook's JSON as Jupyter and nbgrader write it (nbformat's layout, keys kept in
    their order: nbformat itself would sort them and reorder nbgrader's metadata)."""
    return json.dumps(nb_json, indent=1, ensure_ascii=False) + "\n"


def apply(path, name, write=True):
    """Put the badge and the set-up block at the top of a source notebook; True when the
    notebook changed, False (and the file untouched) when it already had them.  With
    ``write=False`` the file is never written: True says it would change."""
    with open(path, encoding="utf-8") as f:
        raw = f.read()
    md, code = header(nbformat.reads(raw, as_version=4), name)
    nb = json.loads(raw)
    cells = nb["cells"]
    first_md = next((c for c in cells if c["cell_type"] == "markdown"), None)
    first_code = next(c for c in cells if c["cell_type"] == "code")
    changed = False
    for cell, new in ((first_md, md), (first_code, code)):
        if cell is not None and new is not None and _text(cell["source"]) != new:
            cell["source"] = new.splitlines(keepends=True)
            changed = True
    if changed and write:
        with open(path, "w", encoding="utf-8") as f:
            f.write(dumps(nb))
    return changed


def main(argv=()):
    import argparse
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing: list the notebooks whose header differs from the "
                             "template, exit status 1 if any")
    args = parser.parse_args(argv)
    from tools.assignments import available
    names = [a.name for a in available(ROOT)]
    updated = [a.name for a in available(ROOT)
               if apply(a.notebook(ROOT), a.name, write=not args.check)]
    verb = "would update" if args.check else "updated"
    for name in updated:
        print(verb, name)
    print(f"{len(updated)} of {len(names)} source notebooks {verb}"
          + ("" if updated else ": every header already matches the template"))
    return 1 if args.check and updated else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
