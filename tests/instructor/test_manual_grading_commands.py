"""Every command of docs/MANUAL_GRADING.md (and the README's instructor section that points
to it) runs as written, in a scratch copy of the course: import submissions, autograde,
the formgrader through ``jupyter server`` probed over HTTP (a manual score typed there
reaches ``nbgrader export``), feedback, the gradebook backup, validate; and ``make clean``
leaves the gradebook alone."""

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

import nbformat

from course_copy import env, make_course, run
from notebooks import ROOT, source_path

DOC = os.path.join(ROOT, "docs", "MANUAL_GRADING.md")
NAME = "05_synthesis"


def documented_commands():
    """The shell commands of the doc's ```bash blocks, in order."""
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines()
            if line.strip() and not line.strip().startswith("#")]


def command(prefix):
    found = [c for c in documented_commands() if c.startswith(prefix)]
    assert found, f"docs/MANUAL_GRADING.md documents no command starting with {prefix!r}"
    return found[0]


def gradescope_export(folder, notebooks):
    """A small Gradescope export: top-level submission_metadata.yml, one folder each."""
    os.makedirs(folder)
    lines = []
    for i, (email, path) in enumerate(notebooks.items(), 1):
        sub = f"submission_{100 + i}"
        os.makedirs(os.path.join(folder, sub))
        shutil.copy(path, os.path.join(folder, sub, os.path.basename(path)))
        lines += [f"{sub}:", "  :submitters:", f"  - :name: Student {i}", f"    :sid: '{i}'",
                  f"    :email: {email}"]
    with open(os.path.join(folder, "submission_metadata.yml"), "w") as f:
        f.write("\n".join(lines) + "\n")


def written_notebook(folder):
    nb = nbformat.read(source_path(NAME), as_version=4)
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade_id", "").startswith("written_"):
            cell.source = "My answer: the attractor matters more than the one-step error."
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, NAME + ".ipynb")
    nbformat.write(nb, path)
    return path


def _free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``jupyter server`` as documented, in the background; its URL and token."""

    def __init__(self, cmd, course):
        if os.geteuid() == 0:
            cmd += " --allow-root"
        cmd += f" --port={_free_port()} --port-retries=0"   # never someone else's 8888
        self.log = open(os.path.join(course, "server.log"), "w+")
        self.proc = subprocess.Popen(cmd, shell=True, cwd=course, env=env(),
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            self.log.seek(0)
            m = re.search(r"(http://(?:localhost|127\.0\.0\.1):\d+)/\S*\?token=(\w+)", self.log.read())
            if m:
                self.base, self.token = m.group(1), m.group(2)
                self._wait_until_answering(deadline)
                return
            assert self.proc.poll() is None, self.text()
            time.sleep(0.5)
        raise AssertionError("the server printed no URL:\n" + self.text())

    def _wait_until_answering(self, deadline):
        while True:
            try:
                self.request("/api/status")
                return
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise AssertionError("the server does not answer:\n" + self.text())
                time.sleep(0.5)

    def text(self):
        self.log.seek(0)
        return self.log.read()[-3000:]

    def request(self, path, data=None, method=None):
        req = urllib.request.Request(self.base + path, method=method,
                                     data=json.dumps(data).encode() if data is not None else None,
                                     headers={"Authorization": "token " + self.token})
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, r.read().decode()

    def stop(self):
        os.killpg(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.log.close()


def test_the_documented_manual_grading_workflow(tmp_path):
    course = make_course(str(tmp_path / "course"), [NAME])
    os.symlink(os.path.dirname(os.path.dirname(sys.executable)), os.path.join(course, ".venv"))
    run(f".venv/bin/nbgrader generate_assignment {NAME}", course)  # what make build does

    export = str(tmp_path / "EXPORT")
    gradescope_export(export, {"ada@example.edu": written_notebook(str(tmp_path / "ada")),
                               "bob@example.edu": os.path.join(course, "release", NAME, NAME + ".ipynb")})
    shutil.move(export, os.path.join(course, "EXPORT"))
    run(command(".venv/bin/python -m grading.nbgrader_import"), course)
    assert os.path.exists(os.path.join(course, "submitted", "ada@example.edu", NAME, NAME + ".ipynb"))
    run(command(".venv/bin/nbgrader autograde"), course)

    server = Server(command(".venv/bin/jupyter server"), course)
    try:
        status, page = server.request("/formgrader")
        assert status == 200 and "formgrader" in page.lower()
        _, body = server.request(f"/formgrader/api/submitted_notebooks/{NAME}/{NAME}")
        subs = {s["student"]: s for s in json.loads(body)}
        assert set(subs) == {"ada@example.edu", "bob@example.edu"}
        ada = subs["ada@example.edu"]
        assert ada["needs_manual_grade"] and ada["max_score"] == 2 + 3 * 4   # three written answers
        status, page = server.request(f"/formgrader/submissions/{ada['id']}/")
        assert status == 200 and "My answer: the attractor" in page
        assert "comparison_table: passed" in page  # the sandboxed grader's verdict
        _, body = server.request(f"/formgrader/api/grades?submission_id={ada['id']}")
        grades = {g["name"]: g for g in json.loads(body)}
        assert grades["comparison_table_check"]["auto_score"] == 2
        written = [g for n, g in grades.items() if n.startswith("written_")]
        assert len(written) == 3 and all(g["needs_manual_grade"] for g in written)
        for g in written:
            server.request(f"/formgrader/api/grade/{g['id']}", {"manual_score": 3}, method="PUT")
    finally:
        server.stop()

    run(command(".venv/bin/nbgrader export"), course)
    with open(os.path.join(course, "grades.csv"), newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert float(rows["ada@example.edu"]["score"]) == 2 + 3 * 3
    assert float(rows["bob@example.edu"]["score"]) == 0
    run(command(".venv/bin/nbgrader generate_feedback"), course)
    html = os.path.join(course, "feedback", "ada@example.edu", NAME, NAME + ".html")
    assert os.path.exists(html) and "comparison_table: passed" in open(html).read()

    run(command("mkdir -p ../gradebook-backups"), course)
    backups = os.listdir(os.path.join(str(tmp_path), "gradebook-backups"))
    assert len(backups) == 1 and backups[0].startswith("gradebook-")

    # make clean (the Makefile's own recipe) never reaches the gradebook
    shutil.copy(os.path.join(ROOT, "Makefile"), course)
    os.makedirs(os.path.join(course, "build"))
    subprocess.run(["make", "-s", "clean"], cwd=course, check=True)
    assert not os.path.exists(os.path.join(course, "build"))
    assert os.path.exists(os.path.join(course, "gradebook.db"))
    assert os.path.isdir(os.path.join(course, "submitted"))

    out = run(command(".venv/bin/nbgrader validate"), course, check=False)
    assert "VALIDATION FAILED" in out.stdout + out.stderr


def test_readme_instructor_commands_are_documented():
    """The README's instructor section names the documented route, not the old one."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    assert "nbgrader formgrader" not in readme
    assert "docs/MANUAL_GRADING.md" in readme
