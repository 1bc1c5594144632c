"""Graders see the student's work: nbgrader's autograded notebook keeps what the student's
code printed, showed, plotted and raised, as the sandboxed worker returned it (data, never
code run by the instructor's process), bounded per cell and per notebook."""

import base64
import io
import json
import os
import shutil
from contextlib import redirect_stderr, redirect_stdout

import nbformat
import pytest

from grading import outputs, worker
from grading.nbgrader_autograde import outputs_into_cells

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 20).decode()


class FakeChannel:
    def __init__(self):
        self.sent = []

    def send(self, obj):
        json.dumps(obj)  # what the codec would send
        self.sent.append(obj)


def _run(tmp_path, sources):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, str(path))
    capture, channel = worker.Capture(), FakeChannel()
    log = io.StringIO()
    namespace = {"__name__": "__main__", "display": capture.display}
    with redirect_stdout(worker._StreamTee(log, "stdout", capture)), \
            redirect_stderr(worker._StreamTee(log, "stderr", capture)):
        worker.execute_notebook(str(path), set(), channel, namespace, capture=capture)
    return {m["cell"]: m["outputs"] for m in channel.sent if m.get("event") == "cell_done"}


def test_worker_returns_streams_results_figures_and_errors(tmp_path):
    got = _run(tmp_path, [
        "print('hello'); print('world')\nimport sys; print('careful', file=sys.stderr)",
        "x = 6\nx * 7",
        "x * 7;",
        "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
        "plt.plot([1, 2, 3]); plt.title('mine')",
        "display(41 + 1)",
        "def f():\n    raise ValueError('bad value')\nf()",
    ])
    assert got[0] == [{"output_type": "stream", "name": "stdout", "text": "hello\nworld\n"},
                      {"output_type": "stream", "name": "stderr", "text": "careful\n"}]
    assert got[1] == [{"output_type": "execute_result", "execution_count": 2,
                       "data": {"text/plain": "42"}, "metadata": {}}]
    assert got[2] == []
    figure = [o for o in got[3] if o["output_type"] == "display_data"]
    assert len(figure) == 1
    assert base64.b64decode(figure[0]["data"]["image/png"]).startswith(b"\x89PNG")
    assert got[4][0]["data"] == {"text/plain": "42"}
    error = got[5][-1]
    assert error["output_type"] == "error" and error["ename"] == "ValueError"
    assert error["evalue"] == "bad value"
    assert any("raise ValueError('bad value')" in line for line in error["traceback"])
    for cell in got.values():  # each is a valid nbformat output
        for out in cell:
            nbformat.validate(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[out])]))


def test_outputs_are_bounded_per_cell_and_per_notebook(tmp_path, monkeypatch):
    monkeypatch.setattr(outputs, "CELL_BYTES", 10_000)
    monkeypatch.setattr(outputs, "NOTEBOOK_BYTES", 25_000)
    got = _run(tmp_path, ["print('x' * 1_000_000)"] * 4)
    sizes = [sum(len(o.get("text", "")) for o in got[i]) for i in range(4)]
    assert sizes[0] < 10_200 and sizes[1] < 10_200 and sizes[3] < 200
    assert "not kept" in got[0][-1]["text"]
    assert sum(sizes) < 25_000 + 4 * 200


def test_grader_keeps_data_only():
    raw = [{"output_type": "stream", "name": "stdout", "text": "ok\n"},
           {"output_type": "display_data", "metadata": {},
            "data": {"text/html": "<script>alert(1)</script>", "image/svg+xml": "<svg onload=x>",
                     "application/javascript": "alert(1)", "image/png": PNG, "text/plain": "fig"}},
           {"output_type": "display_data", "metadata": {}, "data": {"image/png": "bm90IGEgcG5n"}},
           {"output_type": "error", "ename": "E", "evalue": "v", "traceback": ["t"]},
           {"output_type": "stream", "name": "stdin", "text": "?"}]
    kept = outputs.clean_outputs(raw)
    assert kept == [raw[0],
                    {"output_type": "display_data", "metadata": {},
                     "data": {"image/png": PNG, "text/plain": "fig"}},
                    raw[3]]
    assert outputs.clean_outputs({"not": "a list"}) is None
    assert outputs.clean_outputs([1]) is None
    big = [{"output_type": "stream", "name": "stdout", "text": "y" * 900}] * 5
    assert len(outputs.clean_outputs(big, limit=2000)) == 3  # two outputs and a note


def test_outputs_go_into_student_cells_not_check_cells():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("text"),
                nbformat.v4.new_code_cell("plot()"),
                nbformat.v4.new_code_cell("grader.check('q')",
                                          metadata={"nbgrader": {"grade": True, "grade_id": "q_check"}})]
    shown = {"output_type": "display_data", "metadata": {}, "data": {"image/png": PNG}}
    outputs_into_cells(nb, {"0": [shown], "1": [shown]})
    assert nb.cells[1].outputs == [shown] and nb.cells[2].outputs == []


@pytest.mark.slow
def test_autograded_notebook_shows_the_students_figure(tmp_path):
    from course_copy import make_course, run, submit
    from notebooks import source_path, variant
    name = "00_introduction"
    course = make_course(str(tmp_path / "course"), names=[name])
    run(f"nbgrader generate_assignment {name} --force", course)
    figure = ("import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\n"
              "ax.plot([0, 1, 4, 9], label='my own figure')\nprint('my printed line')")
    os.makedirs(tmp_path / "nb")
    nb = variant(name, str(tmp_path / "nb"), append=[figure])
    submit(course, "ada", name, nb)
    run(f"nbgrader autograde {name} --force", course)
    graded = nbformat.read(os.path.join(course, "autograded", "ada", name, name + ".ipynb"), as_version=4)
    cell = next(c for c in graded.cells if c.cell_type == "code" and "my own figure" in c.source)
    images = [o for o in cell.outputs if "image/png" in o.get("data", {})]
    assert images and base64.b64decode(images[0]["data"]["image/png"]).startswith(b"\x89PNG")
    assert any("my printed line" in o.get("text", "") for o in cell.outputs)
    checks = [c for c in graded.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade")
              and c.cell_type == "code"]
    assert checks and all("passed" in c.outputs[0].get("text", "") for c in checks)
    shutil.rmtree(course, ignore_errors=True)
