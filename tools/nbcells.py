"""Helpers for writing nbgrader source notebooks with the course's cell conventions.

Used by authors (and tests) to make cells with the right nbgrader metadata:
``exercise`` for a graded solution cell, ``check`` for its ``grader.check`` cell.
"""

import nbformat


def md(text):
    return nbformat.v4.new_markdown_cell(text.strip("\n"))


def code(source, tags=()):
    cell = nbformat.v4.new_code_cell(source.strip("\n"))
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def exercise(grade_id, source):
    """A graded solution cell: source holds ``### BEGIN SOLUTION`` / ``### END SOLUTION``."""
    cell = code(source)
    cell.metadata["nbgrader"] = {"solution": True, "grade": False, "locked": False,
                                 "grade_id": grade_id, "schema_version": 3}
    return cell


def check(grade_id, points):
    """The locked cell after an exercise: runs its public checks, carries its points."""
    cell = code(f'grader.check("{grade_id}")')
    cell.metadata["nbgrader"] = {"solution": False, "grade": True, "locked": True,
                                 "points": points, "grade_id": f"{grade_id}_check",
                                 "schema_version": 3}
    return cell


def written_answer(grade_id, points, prompt_text="YOUR ANSWER HERE"):
    """A manually graded markdown answer cell (05's discussion prompts)."""
    cell = nbformat.v4.new_markdown_cell(prompt_text)
    cell.metadata["nbgrader"] = {"solution": True, "grade": True, "locked": False,
                                 "points": points, "grade_id": grade_id, "schema_version": 3,
                                 "task": False}
    return cell


def notebook(cells, path):
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                 "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, path)
    return nb
