"""How long each notebook's core takes a student, estimated from its source (issue: the
four-hour core).

    python -m tools.workload [--readme] [--openings]

The estimate is deliberately simple and stated once here:

    minutes = prose words / 130          (technical reading with equations)
            + 2 per graded solution cell  (code cells nbgrader marks as solutions)
            + 1 per solution line         (non-blank lines between BEGIN/END SOLUTION)
            + 6 per written answer        (Markdown solution cells, graded by hand)

Only the *core* counts: every cell from a heading that starts with "Optional" down to the
next heading of the same or a higher level is an extension and is counted apart (its own
columns).  Prose is the Markdown outside solution cells (whitespace-separated tokens; images,
link targets and HTML tags removed).  Each notebook's budget is its share of the seed's 30/45/45/45/30/30
minutes (``BUDGET``); a fast test pins every core within ``TOLERANCE`` times its budget and
the six together within ``TOTAL_MAX_HOURS``.  Each notebook's opening states its
estimate in the line ``TIME_LINE`` (``--openings`` writes it; a test checks it is current).
"""

import argparse
import os
import re
import sys
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

WORDS_PER_MINUTE = 130
MIN_PER_SOLUTION_CELL = 2
MIN_PER_SOLUTION_LINE = 1
MIN_PER_WRITTEN_ANSWER = 6
BUDGET = {"00": 30, "01": 45, "02": 45, "03": 45, "04": 30, "05": 30}   # the seed's minutes
TOLERANCE = 1.25
TOTAL_MAX_HOURS = 3.75

HEADING = re.compile(r"^(#{1,6})\s+(.*)$", re.M)
TIME_LINE = "**Time:** core ~{core} min, optional ~{optional} min (our estimate)."
TIME_PATTERN = re.compile(r"\*\*Time:\*\* core ~(\d+) min, optional ~(\d+) min[^\n]*")


@dataclass
class Workload:
    """One notebook's counts and estimate (``core`` and ``optional`` parts)."""
    name: str
    words: int = 0
    solution_cells: int = 0
    solution_lines: int = 0
    written_answers: int = 0
    optional_words: int = 0
    optional_solution_cells: int = 0
    optional_solution_lines: int = 0

    @property
    def minutes(self):
        return (self.words / WORDS_PER_MINUTE + MIN_PER_SOLUTION_CELL * self.solution_cells
                + MIN_PER_SOLUTION_LINE * self.solution_lines
                + MIN_PER_WRITTEN_ANSWER * self.written_answers)

    @property
    def optional_minutes(self):
        return (self.optional_words / WORDS_PER_MINUTE
                + MIN_PER_SOLUTION_CELL * self.optional_solution_cells
                + MIN_PER_SOLUTION_LINE * self.optional_solution_lines)

    @property
    def budget(self):
        return BUDGET.get(self.name[:2], 30)


def prose_words(markdown):
    """Words a student reads in a Markdown cell: whitespace-separated tokens, equations and
    code spans included (they take reading time), images, link targets and HTML tags
    removed."""
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", markdown)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    text = re.sub(r"<[^>]+>", " ", text)
    return len(text.split())


def solution_lines(source):
    inside, n = False, 0
    for line in source.splitlines():
        if "### BEGIN SOLUTION" in line:
            inside = True
        elif "### END SOLUTION" in line:
            inside = False
        elif inside and line.strip():
            n += 1
    return n


def measure(path, name=None):
    """The :class:`Workload` of a source notebook."""
    import nbformat
    nb = nbformat.read(path, 4)
    w = Workload(name or os.path.basename(path)[:-len(".ipynb")])
    optional_level = None          # heading level of the "Optional" section we are in
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "markdown":
            for hashes, title in HEADING.findall(cell.source):
                level = len(hashes)
                if optional_level is not None and level <= optional_level:
                    optional_level = None
                if optional_level is None and title.strip().lower().startswith("optional"):
                    optional_level = level
        optional = optional_level is not None
        if meta.get("solution") and cell.cell_type == "markdown":
            if not optional:
                w.written_answers += 1
            continue
        if cell.cell_type == "markdown":
            if optional:
                w.optional_words += prose_words(cell.source)
            else:
                w.words += prose_words(cell.source)
        elif cell.cell_type == "code" and meta.get("solution"):
            if optional:
                w.optional_solution_cells += 1
                w.optional_solution_lines += solution_lines(cell.source)
            else:
                w.solution_cells += 1
                w.solution_lines += solution_lines(cell.source)
    return w


def course_workload(root=ROOT):
    from tools.assignments import available
    return [measure(a.notebook(root), a.name) for a in available(root)]


def table(rows):
    """The Markdown table of ``rows`` (one per notebook, then the total)."""
    out = ["| notebook | prose words (core) | graded cells | solution lines | written answers "
           "| core estimate | budget | optional estimate |",
           "|---|---|---|---|---|---|---|---|"]
    for w in rows:
        out.append(f"| {w.name} | {w.words:,} | {w.solution_cells} | {w.solution_lines} | "
                   f"{w.written_answers} | ~{w.minutes:.0f} min | {w.budget} min | "
                   f"~{w.optional_minutes:.0f} min |")
    total = sum(w.minutes for w in rows)
    out.append(f"| total | {sum(w.words for w in rows):,} | {sum(w.solution_cells for w in rows)} | "
               f"{sum(w.solution_lines for w in rows)} | {sum(w.written_answers for w in rows)} | "
               f"**~{total / 60:.1f} h** | {sum(w.budget for w in rows) / 60:.1f} h | "
               f"~{sum(w.optional_minutes for w in rows) / 60:.1f} h |")
    return "\n".join(out)


README = os.path.join(ROOT, "README.md")
README_START = "<!-- workload table: written by python -m tools.workload --readme -->"
README_END = "<!-- end of workload table -->"


def update_readme(text, path=README):
    """Put ``text`` between the README's workload markers."""
    from tools.readme import write_section
    write_section(README_START, README_END, text, path)


def time_line(w):
    """The line a notebook's opening shows for its :class:`Workload` ``w``."""
    return TIME_LINE.format(core=round(w.minutes), optional=round(w.optional_minutes))


def write_openings(root=ROOT):
    """Write each source notebook's Time line (in its first Markdown cell) from its
    estimate; returns the notebooks that changed."""
    import nbformat
    from tools.assignments import available
    changed = []
    for a in available(root):
        path = a.notebook(root)
        nb = nbformat.read(path, 4)
        first = next(c for c in nb.cells if c.cell_type == "markdown")
        if not TIME_PATTERN.search(first.source):
            raise RuntimeError(f"{a.name}: its first Markdown cell has no '**Time:** core ~N min, "
                               "optional ~M min' line to rewrite")
        line = time_line(measure(path, a.name))
        new = TIME_PATTERN.sub(lambda _: line, first.source, count=1)
        if new != first.source:
            first.source = new
            nbformat.write(nb, path)
            changed.append(a.name)
    return changed


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--readme", action="store_true", help="also write the table into README.md")
    ap.add_argument("--openings", action="store_true",
                    help="also write each source notebook's Time line from its estimate")
    args = ap.parse_args(argv)
    if args.openings:
        for name in write_openings():
            print(f"{name}: Time line rewritten (regenerate its release)")
    text = table(course_workload())
    if args.readme:
        update_readme(text)
    print(text)


if __name__ == "__main__":
    main()
