"""The records a grading passes between processes: what it is asked (:class:`Job`) and what
it answers (one :class:`Verdict` per question and a :class:`Report`), with their JSON files.

Standard library only: the Otter plugin's and nbgrader's processes read these without
importing the grader (NumPy, PyTorch).
"""

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Optional


class Record:
    """Read-only ``record["field"]`` access besides ``record.field`` (callers written
    against the former plain dicts)."""

    def __getitem__(self, key):
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None

    @classmethod
    def from_dict(cls, data):
        """The record of a JSON object; keys that are not fields are ignored."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(frozen=True)
class Job(Record):
    """One grading, as ``python -m grading.runner JOB.json`` reads it.

    ``notebook``: the submission (path); ``hidden_module``: the importable name of its
    hidden checks, found in ``private`` (the folder holding ``lib/`` and ``hidden/``, on
    ``sys.path`` of the grading process only); ``public_files``: paths the notebook may
    read (copied next to it); ``preload``: public packages imported once before the
    workers fork; ``out``: where the verdicts file is written; ``capture_outputs``: keep
    the notebook's own outputs in the report (nbgrader's autograded notebook,
    :mod:`grading.outputs`); ``extensions``: grade the extension questions too (the
    manifest's ``grade_extensions``)."""
    notebook: str
    hidden_module: str
    private: str
    out: str
    public_files: tuple = ()
    preload: tuple = ()
    capture_outputs: bool = False
    extensions: bool = False

    def write(self, path):
        with open(path, "w", encoding="utf-8") as f:
            json.dump(asdict(self), f)

    @classmethod
    def read(cls, path):
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        return cls.from_dict({**data, "public_files": tuple(data.get("public_files", ())),
                              "preload": tuple(data.get("preload", ()))})


@dataclass(frozen=True)
class Verdict(Record):
    """One question's result: all or nothing, with the message the student sees.

    ``seconds``: the wall-clock time its checks took."""
    name: str
    score: float
    max_score: float
    message: str
    seconds: float = 0.0

    @property
    def passed(self):
        return self.score >= self.max_score


@dataclass(frozen=True)
class Report(Record):
    """How one grading went, for the instructor (never shown to students).

    ``isolated``/``isolation``: whether the worker was isolated, and the facts the
    preflight measured (None when it did not run);
    ``notebook_cells_with_errors``: cell index -> the start of its error; ``events``:
    what the sandbox noticed (time limits, restarts, warnings); ``restarts``: worker
    restarts; ``worker_peak_mb``: the largest worker's peak memory (MB); ``seconds``:
    wall clock of the whole grading; ``outputs``: code cell index (a string) -> that
    cell's outputs (nbformat v4) when the job asked for them, ``outputs_note`` why there
    are none (:mod:`grading.outputs`)."""
    isolated: bool
    isolation: Optional[dict] = None
    notebook_cells_with_errors: dict = field(default_factory=dict)
    events: tuple = ()
    restarts: int = 0
    worker_peak_mb: float = 0.0
    seconds: float = 0.0
    outputs: dict = field(default_factory=dict)
    outputs_note: str = ""


def write_verdicts(path, verdicts, report):
    """The verdicts file (JSON: ``questions``, a list of verdicts, and ``report``)."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"questions": [asdict(v) for v in verdicts], "report": asdict(report)},
                  f, indent=1)


def read_verdicts(path):
    """``(verdicts, report)`` of a verdicts file: a list of :class:`Verdict` in question
    order and the :class:`Report`.  Raises ``OSError``, ``ValueError`` or ``KeyError``
    when the file is missing or malformed."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    report = data["report"]
    return ([Verdict.from_dict(q) for q in data["questions"]],
            Report.from_dict({**report, "events": tuple(report.get("events", ()))}))
