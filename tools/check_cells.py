"""The nbgrader metadata of a source notebook's check cells, written from the manifest.

Every question has a check cell (``grade_id`` ``<question>_check``) that runs its public
self-check.  A graded question's cell is an autograded nbgrader cell worth the question's
points (declared once, in the hidden module); an extension the manifest does not grade
(``grade_extensions`` off, see ``tools/assignments.py``) has a locked, ungraded cell, so
nbgrader neither scores it nor counts its points.  ``python -m tools.course release`` calls
:func:`sync_check_cells` before ``nbgrader generate_assignment``; the notebook is rewritten
only when a cell changes.
"""

import nbformat

from tools.assignments import by_name

CHECK_SUFFIX = "_check"


def _wanted(meta, points):
    """The nbgrader metadata of a check cell worth ``points`` (None: not graded)."""
    out = {k: v for k, v in meta.items() if k != "points"}
    out.update(grade=points is not None, solution=False, locked=True)
    out.setdefault("schema_version", 3)
    if points is not None:
        out["points"] = points
    return out


def sync_check_cells(name, root=None, spec=None):
    """Write the check cells' metadata of assignment ``name``'s source notebook (under
    ``root``) from the manifest (``spec``: its entry, default the manifest's); returns the
    questions whose cell changed.  A question without a check cell is an error."""
    spec = spec or by_name(name)
    path = spec.notebook(root) if root else spec.notebook()
    nb = nbformat.read(path, as_version=4)
    graded = spec.points()
    wanted = {q: graded.get(q) for q in spec.self_checks()}
    changed, found = [], set()
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader")
        gid = (meta or {}).get("grade_id", "")
        if cell.cell_type != "code" or not gid.endswith(CHECK_SUFFIX):
            continue
        question = gid[: -len(CHECK_SUFFIX)]
        if question not in wanted:
            continue
        found.add(question)
        new = _wanted(meta, wanted[question])
        if new != meta:
            cell.metadata["nbgrader"] = new
            changed.append(question)
    missing = sorted(set(wanted) - found)
    if missing:
        raise RuntimeError(f"{name}: no check cell (grade_id '<question>_check') for {missing}")
    if changed:
        nbformat.write(nb, path)
    return changed
